import { basename } from "node:path";
import os from "node:os";
import {
  getLlama,
  LlamaLogLevel,
  TokenBias,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type SequenceEvaluateOptions,
  type Token,
} from "node-llama-cpp";
import { ContextLengthExceededError, RequestAbortedError } from "../errors/ApiError.js";
import { SlotPool, type QueueLimits } from "./SlotPool.js";
import { StepBarrier } from "./StepBarrier.js";
import { StopMatcher } from "./StopMatcher.js";
import { TokenTextDecoder } from "./TokenTextDecoder.js";
import type { EngineStats, FinishReason, GenerationEvent, GenerationRequest, ModelInfo, SamplingParams } from "./types.js";

export interface EngineOptions {
  modelPath: string;
  /** Requests decoded together (context sequences). */
  parallel: number;
  /** Tokens per request (prompt + completion); default: the model's training context. */
  contextSize?: number;
  /** CPU threads for the matrix work; default: the cores this process may use. */
  threads?: number;
  /** Bound and timeout of the wait for a slot (default: 64 waiting per slot, no timeout). */
  queue?: Partial<QueueLimits>;
  /** Called with the loaded fraction (0..1) while the weights load. */
  onLoadProgress?: (fraction: number) => void;
}

/**
 * node-llama-cpp behind the small interface the rest of the project uses: load a GGUF, tokenize, and run
 * generations on a pool of context sequences (slots) that decode in one batch per step.
 */
export class Engine {
  private readonly pool: SlotPool<LlamaContextSequence>;
  private readonly barrier = new StepBarrier();

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly info: ModelInfo,
    queue: Partial<QueueLimits>,
  ) {
    const sequences = Array.from({ length: context.totalSequences }, () => context.getSequence());
    this.pool = new SlotPool(sequences, (sequence) => sequence.contextTokens, {
      maxQueue: queue.maxQueue ?? 64 * sequences.length,
      queueTimeoutMs: queue.queueTimeoutMs ?? 0,
    });
  }

  static async load(options: EngineOptions): Promise<Engine> {
    const threads = options.threads ?? os.availableParallelism();
    const llama = await getLlama({
      gpu: "auto",
      build: "never",
      logLevel: LlamaLogLevel.error,
      maxThreads: threads,
      progressLogs: false,
    });
    try {
      const model = await llama.loadModel({
        modelPath: options.modelPath,
        ...(options.onLoadProgress ? { onLoadProgress: options.onLoadProgress } : {}),
      });
      const contextSize = options.contextSize ?? model.trainContextSize;
      const context = await model.createContext({ sequences: options.parallel, contextSize, threads });
      const metadata = model.fileInfo.metadata;
      const chatTemplate = metadata.tokenizer?.chat_template;
      const info: ModelInfo = {
        name: metadata.general?.name ?? basename(options.modelPath).replace(/\.gguf$/i, ""),
        path: options.modelPath,
        architecture: String(metadata.general?.architecture ?? "unknown"),
        contextSize: context.contextSize,
        vocabularySize: vocabularySize(model),
        addBos: model.tokens.shouldPrependBosToken,
        bosText: model.tokens.bosString ?? "<s>",
        eosText: model.tokens.eosString ?? "</s>",
        ...(typeof chatTemplate === "string" ? { chatTemplate } : {}),
      };
      return new Engine(llama, model, context, info, options.queue ?? {});
    } catch (error) {
      await llama.dispose();
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

  detokenize(tokens: readonly number[], lastTokens: readonly number[] = []): string {
    return this.model.detokenize(tokens as Token[], false, lastTokens as Token[]);
  }

  /**
   * Checks that the prompt plus `maxTokens` fits a slot's context, and returns the completion budget: `maxTokens`,
   * or all the room left when it is undefined.
   */
  completionBudget(promptTokens: number, maxTokens: number | undefined, param: string): number {
    const room = this.info.contextSize - promptTokens;
    if (room < 1 || (maxTokens !== undefined && maxTokens > room)) {
      throw new ContextLengthExceededError(promptTokens, maxTokens ?? 1, this.info.contextSize, param);
    }
    return maxTokens ?? room;
  }

  stats(): EngineStats {
    const busy = this.pool.busy;
    return { slots: { total: this.pool.size, idle: this.pool.size - busy, busy }, queued: this.pool.queued };
  }

  /**
   * Runs one generation: waits for a slot, reuses the slot's cached prefix, then yields text pieces (stop
   * strings cut, multi-byte characters whole) and one final `done`. Ending the iteration early, or aborting
   * `signal`, stops decoding and frees the slot.
   */
  async *generate(request: GenerationRequest, signal?: AbortSignal): AsyncGenerator<GenerationEvent, void, void> {
    const prompt = request.promptTokens as Token[];
    this.completionBudget(prompt.length, request.maxTokens, "max_tokens");
    const slot = await this.pool.acquire(prompt, signal);
    try {
      const sequence = slot.sequence;
      await sequence.adaptStateToTokens(prompt.slice(0, -1), false);
      const cachedTokens = sequence.nextTokenIndex;
      const generated: Token[] = [];
      const decoder = new TokenTextDecoder((tokens, last) => this.detokenize(tokens, last), prompt);
      const matcher = new StopMatcher(request.stop);
      let completionTokens = 0;
      let finishReason: FinishReason = "length";
      let stoppedByString = false;
      const tokens = sequence.evaluate(prompt.slice(cachedTokens), this.evaluateOptions(request.sampling, generated));
      this.barrier.join();
      try {
        for await (const token of tokens) {
          if (signal?.aborted) throw new RequestAbortedError();
          completionTokens++;
          if (this.model.isEogToken(token)) {
            finishReason = "stop";
            break;
          }
          generated.push(token);
          const piece = decoder.push(token);
          if (piece !== "") {
            const { text, stopped } = matcher.push(piece);
            if (text !== "") yield { type: "text", text };
            if (stopped) {
              finishReason = "stop";
              stoppedByString = true;
              break;
            }
          }
          if (completionTokens >= request.maxTokens) break;
          await this.barrier.arrive();
        }
      } finally {
        this.barrier.leave();
      }
      if (signal?.aborted) throw new RequestAbortedError();
      const rest = stoppedByString ? "" : matcher.flush();
      if (rest !== "") yield { type: "text", text: rest };
      yield { type: "done", finishReason, usage: { promptTokens: prompt.length, completionTokens, cachedTokens } };
    } finally {
      this.pool.release(slot);
    }
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }

  private evaluateOptions(sampling: SamplingParams, generated: Token[]): SequenceEvaluateOptions {
    const options: SequenceEvaluateOptions = {
      temperature: sampling.temperature,
      topK: sampling.topK,
      topP: sampling.topP,
      minP: sampling.minP,
      seed: sampling.seed,
      yieldEogToken: true,
    };
    if (sampling.presencePenalty !== 0 || sampling.frequencyPenalty !== 0 || sampling.repetitionPenalty !== 1) {
      options.repeatPenalty = {
        punishTokens: () => generated,
        maxPunishTokens: 64,
        penalty: sampling.repetitionPenalty,
        presencePenalty: sampling.presencePenalty,
        frequencyPenalty: sampling.frequencyPenalty,
      };
    }
    if (sampling.logitBias.size > 0) {
      const bias = new TokenBias(this.model.tokenizer);
      // TokenBias.set() silently skips end-of-generation tokens, so `logit_bias` on </s> (ban it, or force it) would
      // be ignored; its internal map is written directly instead (node-llama-cpp is pinned; a test guards this).
      const biases = (bias as unknown as { _biases: Map<Token, number> })._biases;
      for (const [token, value] of sampling.logitBias) biases.set(token as Token, value <= -100 ? -Infinity : value);
      options.tokenBias = bias;
    }
    return options;
  }
}

function vocabularySize(model: LlamaModel): number {
  const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
  return Array.isArray(tokens) ? tokens.length : 0;
}
