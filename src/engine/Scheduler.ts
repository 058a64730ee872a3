import type {
  ControlledEvaluateInputItem,
  LlamaContextSequence,
  LlamaModel,
  SequenceEvaluateOptions,
  Token,
} from "node-llama-cpp";
import { abortError, ServerShuttingDownError, type ApiError } from "../errors/ApiError.js";
import { AdmissionQueue, type QueueLimits } from "./AdmissionQueue.js";
import { copySequencePrefix } from "./copySequencePrefix.js";
import { EventChannel } from "./EventChannel.js";
import { nextPhase, type SlotPhase } from "./nextPhase.js";
import { pickSlot } from "./pickSlot.js";
import { rawLogprobRequest, readRawLogprobs } from "./rawLogprobs.js";
import { planStep, type StepItem } from "./planStep.js";
import { StopMatcher } from "./StopMatcher.js";
import type { TokenPieces } from "./TokenPieces.js";
import { TokenReleaseQueue } from "./TokenReleaseQueue.js";
import { TokenTextDecoder } from "./TokenTextDecoder.js";
import type {
  EngineStats,
  FinishReason,
  GenerationEvent,
  SchedulerCounters,
  StepRecord,
  TokenAlternative,
  TokenLogprob,
} from "./types.js";

/**
 * A structured output is closed (`Job.close`) once the tokens left are at most the closing text's plus this: one
 * more sampled token (a new key, a nested object) can lengthen the closing text by a few tokens.
 */
const CLOSING_MARGIN = 16;

/** The floor of reported logprobs: a probability that underflows to 0 is reported as this, as OpenAI does. */
const MIN_LOGPROB = -9999;

export interface SchedulerOptions {
  /** Prompt tokens evaluated per decode step, at most (all prefilling requests together). */
  prefillChunk: number;
  /** A prefix held by another slot is copied when it saves at least this many tokens of prefill. */
  minCopyTokens: number;
  queue: QueueLimits;
}

/** A sampled token, with its probability and the candidates' (sorted, most likely first) when they were asked for. */
interface Sampled {
  token: Token;
  confidence?: number;
  probabilities?: Map<Token, number>;
}

/** One generation, from submission to its last event. */
export interface Job {
  prompt: Token[];
  /** 0 only with `promptLogprobs`: the prompt is scored and nothing is sampled. */
  maxTokens: number;
  stop: readonly string[];
  /** Alternatives reported with each generated token's logprob; undefined: no logprobs. */
  logprobs?: number;
  /** Alternatives reported with each prompt token's logprob; undefined: no prompt logprobs (and the cache is reused). */
  promptLogprobs?: number;
  /** For a structured output: the text that completes the output so far into a whole one. */
  close?: (text: string) => string;
  /** Aborting it ends the job at the next step boundary as finished ("stop"), not failed. */
  halt?: AbortSignal;
  /** Sampling options; `generated` is the job's growing list of sampled tokens. */
  options: (generated: readonly Token[]) => SequenceEvaluateOptions;
  /** Aborting it cancels the job wherever it is (queue, prefill, decode). */
  signal: AbortSignal;
  events: EventChannel<GenerationEvent>;
}

interface Running {
  job: Job;
  admitted: number;
  /** Prompt tokens in the slot's KV cache so far. */
  evaluated: number;
  cachedTokens: number;
  completionTokens: number;
  generated: Token[];
  decoder: TokenTextDecoder;
  matcher: StopMatcher;
  /** A stop string ended the text: what the matcher holds back is never sent. */
  stoppedByString: boolean;
  /** The decoded text so far (structured outputs only), and the text that closed it when the tokens ran out. */
  text: string;
  closing: string;
  tokens: AsyncIterator<Sampled> | undefined;
  /** The generated tokens' logprobs, released with their text (when the job asks for logprobs). */
  logprobs: TokenReleaseQueue<TokenLogprob> | undefined;
  /** The prompt tokens' logprobs so far, and the decoder of the prompt text their offsets count (prompt logprobs). */
  prompt: { logprobs: TokenLogprob[]; decoder: TokenTextDecoder; length: number } | undefined;
}

interface Slot {
  readonly id: number;
  readonly sequence: LlamaContextSequence;
  phase: SlotPhase;
  lastUsed: number;
  running: Running | undefined;
}

/**
 * The decode loop. Requests wait in a bounded FIFO; each admitted one gets a slot (a context sequence) chosen for
 * prefix reuse, possibly seeded by copying another slot's KV cells. Then every step evaluates, in one llama.cpp
 * batch, one token for each decoding slot and a bounded chunk of the prompts being prefilled, and delivers the
 * sampled tokens as text. Cancellations, admissions and copies happen between steps, never during one.
 */
export class Scheduler {
  private readonly slots: Slot[];
  private readonly queue: AdmissionQueue<Job>;
  private readonly observers = new Set<(step: StepRecord) => void>();
  private readonly counters: SchedulerCounters = {
    requests: 0,
    promptTokens: 0,
    cachedTokens: 0,
    copiedTokens: 0,
    prefillTokens: 0,
    generatedTokens: 0,
    steps: 0,
    stepTokens: 0,
    stepMs: 0,
  };
  private clock = 0;
  private loop: Promise<void> | undefined;
  /** Text sampled in the last step, handed to the readers once the next step has been dispatched. */
  private outbox: Array<{ events: EventChannel<GenerationEvent>; text: string; logprobs: TokenLogprob[] | undefined }> = [];
  private flushScheduled = false;
  /** Set by close(): every request still queued or running ends with it. */
  private closing: ApiError | undefined;

  constructor(
    private readonly model: LlamaModel,
    /** Token texts for the logprobs. */
    private readonly pieces: TokenPieces,
    sequences: readonly LlamaContextSequence[],
    private readonly options: SchedulerOptions,
  ) {
    this.slots = sequences.map((sequence, id) => ({ id, sequence, phase: "idle", lastUsed: 0, running: undefined }));
    this.queue = new AdmissionQueue(options.queue, (job, error) => job.events.fail(error));
  }

  /** Queues `job`; throws the 503 at once when the queue is full or the scheduler is closing. */
  submit(job: Job): void {
    if (this.closing) throw this.closing;
    this.queue.push(job, job.signal);
    this.wake();
  }

  /** Ends every queued and running request with a 503 and resolves once the loop has stopped. */
  async close(): Promise<void> {
    this.closing ??= new ServerShuttingDownError();
    for (let job = this.queue.shift(); job !== undefined; job = this.queue.shift()) job.events.fail(this.closing);
    this.wake();
    while (this.loop) await this.loop;
  }

  /** Calls `observer` after every step with what it evaluated; returns the function that stops it. */
  observe(observer: (step: StepRecord) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  stats(): EngineStats {
    const count = (phase: SlotPhase): number => this.slots.filter((slot) => slot.phase === phase).length;
    const idle = count("idle");
    return {
      slots: { total: this.slots.length, idle, busy: this.slots.length - idle, prefill: count("prefill"), decode: count("decode") },
      queued: this.queue.length,
      counters: { ...this.counters },
    };
  }

  /** A new request or a cancellation can need the loop; starts it unless it is running. */
  private wake(): void {
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
      if (this.queue.length > 0 && !this.closing) this.wake();
    });
  }

  private async run(): Promise<void> {
    for (;;) {
      await this.endCancelled();
      await this.admit();
      const active = this.slots.filter((slot) => slot.running !== undefined);
      if (active.length === 0) return;
      const plan = planStep(
        active.map((slot) => ({
          id: slot.id,
          phase: slot.phase === "decode" ? "decode" : "prefill",
          remaining: slot.running!.job.prompt.length - slot.running!.evaluated,
          admitted: slot.running!.admitted,
        })),
        this.options.prefillChunk,
      );
      const started = performance.now();
      // every item is started in this same tick, so node-llama-cpp decodes them all in one batch
      const step = Promise.all(plan.map((item) => this.advance(item)));
      this.flushAfterDispatch();
      await step;
      this.record(plan, performance.now() - started);
    }
  }

  /**
   * Delivers the outbox one event-loop turn after node-llama-cpp dispatches the step just started (it dispatches
   * from setImmediate; this runs from the setImmediate after that), so that turning the previous tokens into SSE
   * chunks and writing them to the sockets overlaps the decode instead of delaying its start. Measured on the tiny
   * model over HTTP: 10–15% more tokens/s than delivering at once.
   */
  private flushAfterDispatch(): void {
    if (this.flushScheduled || this.outbox.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => setImmediate(() => this.flush()));
  }

  private flush(): void {
    this.flushScheduled = false;
    const outbox = this.outbox;
    this.outbox = [];
    for (const { events, text, logprobs } of outbox) events.push(logprobs ? { type: "text", text, logprobs } : { type: "text", text });
  }

  private record(plan: readonly StepItem[], ms: number): void {
    let decode = 0;
    let prefillTokens = 0;
    for (const item of plan) {
      if (item.kind === "decode") decode++;
      else prefillTokens += item.tokens;
    }
    this.counters.steps++;
    this.counters.stepTokens += decode + prefillTokens;
    this.counters.prefillTokens += prefillTokens;
    this.counters.stepMs += ms;
    if (this.observers.size === 0) return; // the per-step record is built only for someone who reads it
    const step: StepRecord = {
      decode: plan.flatMap((item) => (item.kind === "decode" ? [item.id] : [])),
      prefill: plan.flatMap((item) => (item.kind === "prefill" ? [{ slot: item.id, tokens: item.tokens }] : [])),
      ms,
    };
    for (const observer of this.observers) observer(step);
  }

  /** Ends every running job whose request was cancelled (client gone, deadline passed) or halted, or all when closing. */
  private async endCancelled(): Promise<void> {
    for (const slot of this.slots) {
      const job = slot.running?.job;
      if (job?.signal.aborted) await this.end(slot, abortError(job.signal));
      else if (job?.halt?.aborted) await this.end(slot, undefined, "stop");
      else if (job && this.closing) await this.end(slot, this.closing);
    }
  }

  /** Gives idle slots to waiting requests, in arrival order, and puts the reusable part of each prompt in place. */
  private async admit(): Promise<void> {
    while (this.queue.length > 0 && this.slots.some((slot) => slot.phase === "idle")) {
      const job = this.queue.shift()!;
      const views = this.slots.map((slot) => ({ phase: slot.phase, cachedTokens: slot.sequence.contextTokens, lastUsed: slot.lastUsed }));
      const choice = pickSlot(views, job.prompt, this.options.minCopyTokens)!;
      const slot = this.slots[choice.slot]!;
      slot.phase = nextPhase(slot.phase, "admit");
      slot.lastUsed = ++this.clock;
      this.counters.requests++;
      const running: Running = {
        job,
        admitted: slot.lastUsed,
        evaluated: 0,
        cachedTokens: 0,
        completionTokens: 0,
        generated: [],
        decoder: this.decoder(job.prompt),
        matcher: new StopMatcher(job.stop),
        stoppedByString: false,
        text: "",
        closing: "",
        tokens: undefined,
        logprobs: job.logprobs === undefined ? undefined : new TokenReleaseQueue(),
        prompt: job.promptLogprobs === undefined ? undefined : { logprobs: [], decoder: this.decoder([]), length: 0 },
      };
      slot.running = running;
      try {
        if (running.prompt) {
          // every prompt position's output is needed, so nothing cached can be used
          await slot.sequence.clearHistory();
          this.recordPromptToken(running, job.prompt[0]!, null, []);
        } else {
          if (choice.copy !== undefined) {
            const donor = this.slots[choice.copy.from]!.sequence;
            if (await copySequencePrefix(slot.sequence, donor, choice.copy.tokens)) this.counters.copiedTokens += choice.copy.tokens;
          }
          await slot.sequence.adaptStateToTokens(job.prompt.slice(0, -1), false);
        }
        running.evaluated = running.cachedTokens = slot.sequence.nextTokenIndex;
        this.counters.promptTokens += job.prompt.length;
        this.counters.cachedTokens += running.cachedTokens;
      } catch (error) {
        await this.end(slot, error as Error);
      }
    }
  }

  /** Runs one slot's share of a step. Never throws: a failure ends that slot's request only. */
  private async advance(item: StepItem): Promise<void> {
    const slot = this.slots[item.id]!;
    const running = slot.running!;
    const job = running.job;
    try {
      if (item.kind === "prefill") {
        let chunk = job.prompt.slice(running.evaluated, running.evaluated + item.tokens);
        if (running.prompt) {
          // every position scored but the last one, whose output is the first sampling's (when there is one)
          const scored = item.final && job.maxTokens > 0 ? chunk.slice(0, -1) : chunk;
          if (scored.length > 0) await this.scorePrompt(slot.sequence, running, scored);
          running.evaluated += scored.length;
          chunk = chunk.slice(scored.length);
          if (item.final) job.events.push({ type: "prompt", logprobs: running.prompt.logprobs });
          if (item.final && job.maxTokens === 0) return await this.end(slot, undefined, "length");
          if (!item.final) return;
        } else if (!item.final) {
          await slot.sequence.evaluateWithoutGeneratingNewTokens(chunk);
          running.evaluated += chunk.length;
          return;
        }
        const metadata = { confidence: job.logprobs !== undefined, probabilities: (job.logprobs ?? 0) > 0 };
        const tokens: AsyncIterable<Sampled> = slot.sequence.evaluateWithMetadata(chunk, metadata, job.options(running.generated));
        running.tokens = tokens[Symbol.asyncIterator]();
        running.evaluated += chunk.length;
      }
      const next = await running.tokens!.next();
      if (slot.phase === "prefill") slot.phase = nextPhase(slot.phase, "first-token");
      const finish = next.done ? "length" : this.accept(running, next.value);
      if (finish !== undefined) await this.end(slot, undefined, finish);
    } catch (error) {
      await this.end(slot, error as Error);
    }
  }

  /** Turns a sampled token into text; returns the finish reason when the generation is over. */
  private accept(running: Running, sampled: Sampled): FinishReason | undefined {
    const token = sampled.token;
    running.completionTokens++;
    this.counters.generatedTokens++;
    if (this.model.isEogToken(token)) return "stop";
    running.generated.push(token);
    const piece = running.decoder.push(token);
    if (running.logprobs) {
      const record = this.sampledLogprob(sampled, running.job.logprobs ?? 0);
      record.offset = running.logprobs.add(record, piece.length);
    }
    if (piece !== "") {
      const { text, stopped } = running.matcher.push(piece);
      const logprobs = running.logprobs?.release(text.length);
      if (text !== "") this.outbox.push({ events: running.job.events, text, logprobs });
      if (stopped) {
        running.stoppedByString = true;
        return "stop";
      }
    }
    if (running.job.close) return this.closeIfOutOfTokens(running, piece);
    return running.completionTokens >= running.job.maxTokens ? "length" : undefined;
  }

  /**
   * A structured output whose tokens are running out is closed: the shortest text that makes it whole (and valid)
   * is appended, and counted as completion tokens. It ends as "length": the model did not finish it.
   */
  private closeIfOutOfTokens(running: Running, piece: string): FinishReason | undefined {
    running.text += piece;
    const closing = running.job.close!(running.text);
    // whole already: the grammar lets only end of sequence follow
    if (closing === "") return running.completionTokens >= running.job.maxTokens ? "length" : undefined;
    const remaining = running.job.maxTokens - running.completionTokens;
    // a token holds at least one byte: most steps need no tokenization to know there is room
    if (remaining > Buffer.byteLength(closing) + CLOSING_MARGIN) return undefined;
    const needed = this.model.tokenize(closing).length;
    if (remaining > needed + CLOSING_MARGIN) return undefined;
    running.closing = closing;
    running.completionTokens += needed;
    return "length";
  }

  /** A sampled token's logprob and `top` alternatives, from the distribution the sampler drew it from. */
  private sampledLogprob(sampled: Sampled, top: number): TokenLogprob {
    const alternatives: TokenAlternative[] = [];
    for (const [token, probability] of sampled.probabilities ?? []) {
      if (alternatives.length === top) break;
      alternatives.push({ token, ...this.pieces.piece(token), logprob: logOf(probability) });
    }
    return { token: sampled.token, ...this.pieces.piece(sampled.token), logprob: logOf(sampled.confidence ?? 0), top: alternatives, offset: 0 };
  }

  /**
   * Evaluates `tokens`, the next part of a prompt, reading at each position the raw model's logprob of the prompt's
   * next token and of the `promptLogprobs` most likely tokens (`rawLogprobs.ts`: no full vocabulary transfer).
   */
  private async scorePrompt(sequence: LlamaContextSequence, running: Running, tokens: readonly Token[]): Promise<void> {
    const prompt = running.job.prompt;
    const top = running.job.promptLogprobs ?? 0;
    const start = running.evaluated;
    const input = tokens.map((token, j): ControlledEvaluateInputItem => {
      const target = prompt[start + j + 1];
      return target === undefined ? token : rawLogprobRequest(token, target, top);
    });
    const outputs = await sequence.controlledEvaluate(input);
    tokens.forEach((_, j) => {
      const target = prompt[start + j + 1];
      if (target === undefined) return;
      const scores = readRawLogprobs(outputs[j]);
      const alternatives = scores.top(top).map(([token, logprob]): TokenAlternative => ({ token, ...this.pieces.piece(token), logprob: clampLogprob(logprob) }));
      this.recordPromptToken(running, target, clampLogprob(scores.logprob(target)), alternatives);
    });
  }

  private recordPromptToken(running: Running, token: Token, logprob: number | null, top: TokenAlternative[]): void {
    const prompt = running.prompt!;
    prompt.logprobs.push({ token, ...this.pieces.piece(token), logprob, top, offset: prompt.length });
    prompt.length += prompt.decoder.push(token).length;
  }

  private decoder(context: readonly Token[]): TokenTextDecoder {
    return new TokenTextDecoder((tokens, last) => this.model.detokenize(tokens as Token[], false, last as Token[]), context);
  }

  /**
   * Frees the slot, then completes the request: with `done` (after the text held back for stop strings) when it
   * finished, or with the error.
   */
  private async end(slot: Slot, error: Error | undefined, finishReason?: FinishReason): Promise<void> {
    const running = slot.running!;
    slot.running = undefined;
    let failure = error;
    try {
      await running.tokens?.return?.();
    } catch (returnError) {
      failure ??= returnError as Error;
    }
    slot.phase = nextPhase(slot.phase, "end");
    this.flush(); // the request's text before its end
    const events = running.job.events;
    if (failure !== undefined || finishReason === undefined) {
      events.fail(failure ?? new Error("generation ended without a finish reason"));
      return;
    }
    const rest = running.stoppedByString ? "" : running.matcher.flush() + running.closing;
    const logprobs = running.stoppedByString ? undefined : running.logprobs?.drain();
    if (logprobs?.length) events.push({ type: "text", text: rest, logprobs });
    else if (rest !== "") events.push({ type: "text", text: rest });
    events.push({
      type: "done",
      finishReason,
      usage: { promptTokens: running.job.prompt.length, completionTokens: running.completionTokens, cachedTokens: running.cachedTokens },
    });
    events.close();
  }
}

function clampLogprob(logprob: number): number {
  return Math.max(logprob, MIN_LOGPROB);
}

function logOf(probability: number): number {
  return clampLogprob(Math.log(probability));
}
