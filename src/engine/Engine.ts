import { basename } from "node:path";
import { LlamaGrammarEvaluationState, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import type { QueueLimits } from "./AdmissionQueue.js";
import { AbortedError, ContextTooLongError } from "./engineErrors.js";
import { evaluateOptions } from "./evaluateOptions.js";
import type { Job } from "./Job.js";
import { attentionShape } from "./attentionShape.js";
import { chooseThreads, threadCap, type ThreadsSetting } from "./chooseThreads.js";
import { checkKvCache, kvCacheBytesPerSlot, type KvCacheSettings } from "./kvCacheLayout.js";
import { sharedLlama } from "./sharedLlama.js";
import { DEFAULT_CACHE_DISK_BYTES, DEFAULT_PREFILL_CHUNK } from "./engineDefaults.js";
import { Embedder } from "./Embedder.js";
import { PromptCache } from "./PromptCache.js";
import { stateFingerprint } from "./stateFingerprint.js";
import { RequestEvents } from "./RequestEvents.js";
import { Scheduler } from "./Scheduler.js";
import { TokenPieces, type TokenPiece } from "./TokenPieces.js";
import { vocabularySize } from "./vocabularySize.js";
import type { EngineStats, GenerationEvent, GenerationRequest, IndexedEvent, ModelInfo, RequestRecord, StepRecord } from "./types.js";

/** A prefix in another slot is copied, not recomputed, when it saves at least this many tokens. */
const MIN_COPY_TOKENS = 16;
/** A slot's state is kept by the prompt cache, and a kept one restored, when that saves at least this many tokens. */
const MIN_KEEP_TOKENS = 32;
/** Prompt tokens of the measurement that seeds the prompt cache's estimate of what a restore saves. */
const PROBE_TOKENS = 32;

export interface EngineOptions {
  modelPath: string;
  /** Requests decoded together (context sequences). */
  parallel: number;
  /** Tokens per request (prompt + completion); default: the model's training context. */
  contextSize?: number;
  /**
   * CPU threads for the matrix work: a count, or "auto" (the default): measured on the loaded model before it
   * serves, separately for one stream decoding, several, and prompt chunks (`chooseThreads`).
   */
  threads?: number | "auto";
  /** Threads of the batches of several tokens (default: `threads`'s, or measured with "auto"). */
  threadsBatch?: number;
  /** Bound and timeout of the wait for a slot (default: 64 waiting per slot, no timeout). */
  queue?: Partial<QueueLimits>;
  /**
   * KV cache element types and flash attention (default f16, f16, auto). A combination llama.cpp cannot make a
   * context of is refused once the model's shape is read, before the context is made.
   */
  kvCache?: Partial<KvCacheSettings>;
  /**
   * The prompt cache: states of reused slots kept in host memory (`ramBytes`) and, past that, in `dir`, where they
   * survive restarts (bound: `diskBytes`); `warn` hears of the files it ignored. Off unless `ramBytes` > 0 or `dir`.
   */
  promptCache?: { ramBytes: number; dir?: string; diskBytes?: number; restoreMargin?: number; warn?: (message: string) => void };
  /** Prompt tokens evaluated per decode step, at most (default: DEFAULT_PREFILL_CHUNK for the backend in use). */
  prefillChunk?: number;
  /** Called with the loaded fraction (0..1) while the weights load. */
  onLoadProgress?: (fraction: number) => void;
  /**
   * Fault injection, for tests only: the scheduler runs on the sequences this returns instead of the context's own
   * (a wrapper that fails an evaluation shows what a llama.cpp failure does to the requests).
   */
  wrapSequencesForTests?: (sequences: LlamaContextSequence[]) => LlamaContextSequence[];
}

/** One generation of a request that runs several: `after` is the index of the one whose prompt it shares. */
export interface GroupMember {
  request: GenerationRequest;
  after?: number;
}

/**
 * node-llama-cpp behind the small interface the rest of the project uses: load a GGUF, tokenize, and run
 * generations on the scheduler's slots (context sequences of one context, decoded in one batch per step).
 */
export class Engine {
  private readonly scheduler: Scheduler;
  private readonly pieces: TokenPieces;
  private readonly promptCache: PromptCache | undefined;
  /** The embedding context of this model, made on first use. */
  private embeddings: Promise<Embedder> | undefined;

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly info: ModelInfo,
    own: LlamaContextSequence[],
    options: Pick<EngineOptions, "wrapSequencesForTests"> & { queue: Partial<QueueLimits>; prefillChunk: number; promptCache: PromptCache | undefined },
    private readonly threads: number,
  ) {
    const sequences = options.wrapSequencesForTests?.(own) ?? own;
    this.pieces = new TokenPieces(model);
    this.promptCache = options.promptCache;
    this.scheduler = new Scheduler(model, this.pieces, sequences, {
      prefillChunk: options.prefillChunk,
      minCopyTokens: MIN_COPY_TOKENS,
      queue: { maxQueue: options.queue.maxQueue ?? 64 * sequences.length, queueTimeoutMs: options.queue.queueTimeoutMs ?? 0 },
      ...(options.promptCache ? { promptCache: options.promptCache } : {}),
    });
  }

  static async load(options: EngineOptions): Promise<Engine> {
    const threadsSetting: ThreadsSetting = { threads: options.threads ?? "auto", ...(options.threadsBatch !== undefined ? { threadsBatch: options.threadsBatch } : {}) };
    const llama = await sharedLlama(threadCap(threadsSetting));
    let loaded: LlamaModel | undefined;
    try {
      const model = await llama.loadModel({
        modelPath: options.modelPath,
        ...(options.onLoadProgress ? { onLoadProgress: options.onLoadProgress } : {}),
      });
      loaded = model;
      const contextSize = options.contextSize ?? model.trainContextSize;
      const prefillChunk = options.prefillChunk ?? DEFAULT_PREFILL_CHUNK[llama.gpu === false ? "cpu" : "gpu"];
      // one step (a prompt chunk plus a token per slot) must fit one llama.cpp batch
      const batchSize = prefillChunk + options.parallel;
      const kvCache: KvCacheSettings = { keyType: "f16", valueType: "f16", flashAttention: "auto", ...options.kvCache };
      const shape = attentionShape(model);
      checkKvCache(shape, kvCache);
      const context = await model.createContext({
        sequences: options.parallel,
        contextSize,
        threads: threadCap(threadsSetting),
        batchSize,
        flashAttention: kvCache.flashAttention === "auto" ? "auto" : kvCache.flashAttention === "on",
        // node-llama-cpp calls these experimental; checkKvCache refuses the combinations llama.cpp would fail on
        experimentalKvCacheKeyType: ggmlTypeName(kvCache.keyType),
        experimentalKvCacheValueType: ggmlTypeName(kvCache.valueType),
      });
      const threads = await chooseThreads(context, model, threadsSetting, { streams: options.parallel, prefillChunk });
      const metadata = model.fileInfo.metadata;
      const chatTemplate = metadata.tokenizer?.chat_template;
      const info: ModelInfo = {
        name: metadata.general?.name ?? basename(options.modelPath).replace(/\.gguf$/i, ""),
        path: options.modelPath,
        architecture: String(metadata.general?.architecture ?? "unknown"),
        contextSize: context.contextSize,
        kvCache: { ...kvCache, bytesPerSlot: kvCacheBytesPerSlot(shape, kvCache, context.contextSize) },
        threads,
        vocabularySize: vocabularySize(model),
        longestTokenChars: longestTokenChars(model),
        addBos: model.tokens.shouldPrependBosToken,
        bosText: model.tokens.bosString ?? "<s>",
        eosText: model.tokens.eosString ?? "</s>",
        ...(typeof chatTemplate === "string" ? { chatTemplate } : {}),
      };
      const sequences = Array.from({ length: context.totalSequences }, () => context.getSequence());
      const cacheOptions = options.promptCache;
      const promptCache =
        cacheOptions !== undefined && (cacheOptions.ramBytes > 0 || cacheOptions.dir !== undefined)
          ? await PromptCache.open(
              {
                ramBytes: cacheOptions.ramBytes,
                ...(cacheOptions.dir !== undefined ? { dir: cacheOptions.dir } : {}),
                diskBytes: cacheOptions.diskBytes ?? DEFAULT_CACHE_DISK_BYTES,
                minTokens: MIN_KEEP_TOKENS,
                fingerprint: await stateFingerprint(options.modelPath, {
                  contextSize: context.contextSize,
                  keyType: kvCache.keyType,
                  valueType: kvCache.valueType,
                  flashAttention: kvCache.flashAttention,
                  gpu: String(llama.gpu),
                  llamaCpp: `${llama.llamaCppRelease.repo}@${llama.llamaCppRelease.release}`,
                }),
                ...(cacheOptions.restoreMargin !== undefined ? { restoreMargin: cacheOptions.restoreMargin } : {}),
                warn: cacheOptions.warn ?? (() => undefined),
              },
              { sequence: sequences[0]!, tokens: probeTokens(model, PROBE_TOKENS) },
            )
          : undefined;
      const wrap = options.wrapSequencesForTests;
      // the embeddings context (made on first use) evaluates inputs in chunks: the prompt chunks' count
      return new Engine(llama, model, context, info, sequences, { queue: options.queue ?? {}, prefillChunk, promptCache, ...(wrap ? { wrapSequencesForTests: wrap } : {}) }, threads.batch);
    } catch (error) {
      // the model's contexts go with it; the llama.cpp instance stays, the process's
      await loaded?.dispose();
      throw error;
    }
  }

  /** Tokens of `text`; `parseSpecial` reads `<s>`-style text as special tokens. Never adds BOS. */
  tokenize(text: string, parseSpecial: boolean): number[] {
    return this.model.tokenize(text, parseSpecial);
  }

  /** The tokens a prompt is evaluated as: BOS first when the GGUF asks for it (and the text has none). */
  promptTokens(text: string, parseSpecial: boolean): number[] {
    const tokens = this.tokenize(text, parseSpecial);
    const bos = this.model.tokens.bos;
    if (this.info.addBos && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
  }

  /** The text of `tokens` (after `lastTokens`, for SentencePiece's leading spaces); `special` renders `<s>`-style tokens. */
  detokenize(tokens: readonly number[], lastTokens: readonly number[] = [], special = false): string {
    return this.model.detokenize(tokens as Token[], special, lastTokens as Token[]);
  }

  /** One token's text alone and its exact bytes. */
  tokenPiece(token: number): TokenPiece {
    return this.pieces.piece(token);
  }

  /**
   * Checks that the prompt plus `maxTokens` fits a slot's context (else throws ContextTooLongError), and returns
   * the completion budget: `maxTokens`, or all the room left when it is undefined.
   */
  completionBudget(promptTokens: number, maxTokens: number | undefined): number {
    const room = this.info.contextSize - promptTokens;
    if (room < (maxTokens === 0 ? 0 : 1) || (maxTokens !== undefined && maxTokens > room)) {
      throw new ContextTooLongError(promptTokens, maxTokens ?? 1, this.info.contextSize);
    }
    return maxTokens ?? room;
  }

  stats(): EngineStats {
    return this.scheduler.stats();
  }

  /** Calls `observer` after every decode step; returns the function that stops it. */
  observeSteps(observer: (step: StepRecord) => void): () => void {
    return this.scheduler.observe(observer);
  }

  /** Calls `observer` as each generation leaves its slot, with its times and tokens; returns the function that stops it. */
  observeRequests(observer: (record: RequestRecord) => void): () => void {
    return this.scheduler.observeRequests(observer);
  }

  /** One generation: `generateGroup` of one, its events untagged. */
  async *generate(request: GenerationRequest, signal?: AbortSignal): AsyncGenerator<GenerationEvent, void, void> {
    yield* this.generateGroup([{ request }], signal);
  }

  /**
   * Runs the generations of one request, admitted or refused as a whole before any runs (a full queue throws
   * QueueFullError at once; only the request counts against the queue bound, however many generations it has). A
   * member `after` another is admitted once that one's prompt is in its slot, and copies it from there. Yields the
   * members' events, tagged with their index, as they come: text pieces (stop strings cut, multi-byte characters
   * whole) and one final `done` each. Generation does not wait for the consumer. Ending the iteration early, or
   * aborting `signal`, cancels every member and frees their slots within one step; an abort ends the iteration with
   * AbortedError carrying the signal's reason. The first member to fail ends the request with its error.
   */
  async *generateGroup(members: readonly GroupMember[], signal?: AbortSignal): AsyncGenerator<IndexedEvent, void, void> {
    for (const { request } of members) this.completionBudget(request.promptTokens.length, request.maxTokens);
    if (signal?.aborted) throw AbortedError.of(signal);
    // compiling a grammar and its state takes ~0.1 ms: no cache is worth keeping
    const grammars = await Promise.all(
      members.map(
        async ({ request }) =>
          request.structured &&
          new LlamaGrammarEvaluationState({ model: this.model, grammar: await this.llama.createGrammar({ grammar: request.structured.grammar }) }),
      ),
    );
    const controller = new AbortController();
    const forward = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", forward, { once: true });
    const events = new RequestEvents(members.length, controller);
    const submitted = performance.now();
    const jobs: Job[] = [];
    for (const [index, { request, after }] of members.entries()) {
      const grammar = grammars[index];
      jobs.push({
        prompt: request.promptTokens as Token[],
        maxTokens: request.maxTokens,
        stop: request.stop,
        ...(request.logprobs !== undefined ? { logprobs: request.logprobs } : {}),
        ...(request.promptLogprobs !== undefined ? { promptLogprobs: request.promptLogprobs } : {}),
        ...(request.structured ? { close: request.structured.close } : {}),
        ...(request.halt ? { halt: request.halt } : {}),
        ...(after !== undefined ? { after: jobs[after]! } : {}),
        options: (generated) => evaluateOptions(this.model, request.sampling, generated, grammar || undefined),
        signal: controller.signal,
        events: events.sink(index),
        submitted,
      });
    }
    let ended = false;
    try {
      this.scheduler.submit(jobs, controller.signal);
      yield* events.channel;
      ended = true;
    } finally {
      signal?.removeEventListener("abort", forward);
      if (!ended) controller.abort();
    }
  }

  /**
   * The unit-length embeddings of `inputs` by `embedder` (this engine's own, or another model's), computed
   * between this engine's decode steps a chunk at a time, after waiting in a queue with the generations' bound
   * (QueueFullError when full). Aborting `signal` ends it (AbortedError) and frees its place at once, or at the
   * next step once it runs. `queueMs`: how long it waited.
   */
  embed(embedder: Embedder, inputs: ReadonlyArray<readonly number[]>, signal?: AbortSignal): Promise<{ vectors: number[][]; queueMs: number }> {
    if (signal?.aborted) return Promise.reject(AbortedError.of(signal));
    return new Promise((resolve, reject) => {
      this.scheduler.submitEmbedding({
        embedder,
        inputs: inputs.map((tokens) => embedder.inputTokens(tokens)),
        signal: signal ?? new AbortController().signal,
        submitted: performance.now(),
        resolve,
        reject,
      });
    });
  }

  /**
   * Stops taking requests (they get ShuttingDownError, as do those still waiting for a slot), lets the running
   * ones finish, and resolves once none runs. `close()` ends everything at once.
   */
  drain(): Promise<void> {
    return this.scheduler.drain();
  }

  /**
   * Embeddings of this model, from a context of their own made on the first call (inputs up to the slots' context
   * size; the weights are shared).
   */
  embedder(): Promise<Embedder> {
    this.embeddings ??= Embedder.forModel(this.model, this.info.path, { contextSize: this.info.contextSize, threads: this.threads });
    return this.embeddings;
  }

  /**
   * Ends every queued and running request with ShuttingDownError and refuses new ones; the model stays loaded, so
   * that requests still being read (tokenized) get that error too, not a failure of a freed model.
   */
  close(): Promise<void> {
    return this.scheduler.close();
  }

  async dispose(): Promise<void> {
    await this.scheduler.close();
    await this.promptCache?.dispose();
    if (this.embeddings) await (await this.embeddings).dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}

/** `count` prompt tokens of ordinary text (BOS first), for measurements. */
function probeTokens(model: LlamaModel, count: number): Token[] {
  const tokens = model.tokenize("The quick brown fox jumps over the lazy dog while the five boxing wizards jump quickly. ".repeat(8));
  if (model.tokens.bos !== null) tokens.unshift(model.tokens.bos);
  return tokens.slice(0, count);
}

/** node-llama-cpp's name of a KV cache type (GgmlType's keys are upper case). */
function ggmlTypeName(type: KvCacheSettings["keyType"]): "F16" | "Q8_0" | "Q4_0" {
  return type.toUpperCase() as "F16" | "Q8_0" | "Q4_0";
}

/**
 * The longest token's text, from the GGUF's list of pieces: a piece is never shorter than the text it decodes to
 * (SentencePiece writes a space as one "▁", a byte as "<0xNN>"; byte-level BPE one character per byte). Without
 * the list, no bound.
 */
function longestTokenChars(model: LlamaModel): number {
  const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0) return Number.POSITIVE_INFINITY;
  return tokens.reduce((longest: number, token: unknown) => Math.max(longest, String(token).length), 1);
}
