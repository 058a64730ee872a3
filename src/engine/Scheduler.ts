import type { LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { AdmissionQueue, type QueueLimits } from "./AdmissionQueue.js";
import { copySequencePrefix } from "./copySequencePrefix.js";
import { EmbeddingLane, type EmbeddingJob } from "./EmbeddingLane.js";
import { AbortedError, EngineFailureError, ShuttingDownError, type EngineError } from "./engineErrors.js";
import type { EventSink, Job } from "./Job.js";
import { JobOutput, type Sampled } from "./JobOutput.js";
import { nextPhase, type SlotPhase } from "./nextPhase.js";
import { pickSlot } from "./pickSlot.js";
import { planStep, type ActiveSlot, type StepItem } from "./planStep.js";
import type { TokenPieces } from "./TokenPieces.js";
import type { EngineStats, FinishReason, GenerationEvent, SchedulerCounters, StepRecord, TokenLogprob } from "./types.js";

export interface SchedulerOptions {
  /** Prompt tokens evaluated per decode step, at most (all prefilling requests together). */
  prefillChunk: number;
  /** A prefix held by another slot is copied when it saves at least this many tokens of prefill. */
  minCopyTokens: number;
  queue: QueueLimits;
}

interface Running {
  job: Job;
  admitted: number;
  /** Prompt tokens in the slot's KV cache so far. */
  evaluated: number;
  cachedTokens: number;
  queueMs: number;
  output: JobOutput;
  tokens: AsyncIterator<Sampled> | undefined;
}

/**
 * Events a request's consumer may leave unread before its decoding slots are backlogged (decoded only when nothing
 * else is). A client reading normally is at most a step or two behind; one that stopped reading has filled its
 * socket's buffers first (some hundred kB), so this is reached only once the server cannot deliver any more.
 */
const MAX_BACKLOG = 128;

interface Slot {
  readonly id: number;
  readonly sequence: LlamaContextSequence;
  phase: SlotPhase;
  lastUsed: number;
  running: Running | undefined;
  /** An evaluation on it failed: its KV cells may not match its tokens, so it is cleared before it is used again. */
  tainted: boolean;
}

/**
 * The decode loop. Requests wait in a bounded FIFO; each admitted job gets a slot (a context sequence) chosen for
 * prefix reuse, possibly seeded by copying another slot's KV cells. Then every step evaluates, in one llama.cpp
 * batch, one token for each decoding slot and a bounded chunk of the prompts being prefilled, and delivers the
 * sampled tokens as text. Cancellations, admissions and copies happen between steps, never during one. A fault
 * (llama.cpp's, or the loop's own) fails only the jobs it touches; the loop goes on with the others.
 */
export class Scheduler {
  private readonly slots: Slot[];
  private readonly queue: AdmissionQueue<Job>;
  private readonly embeddings: EmbeddingLane;
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
    embeddingTokens: 0,
  };
  private clock = 0;
  private loop: Promise<void> | undefined;
  /** Jobs whose prompt is in their slot's cache (or that ended): the jobs `after` them may be admitted. */
  private readonly promptsReady = new WeakSet<Job>();
  /** Text sampled in the last step, handed to the readers once the next step has been dispatched. */
  private outbox: Array<{ events: EventSink<GenerationEvent>; text: string; logprobs: TokenLogprob[] | undefined }> = [];
  private flushScheduled = false;
  /** Set by drain() or close(): no new request is taken. */
  private stopping = false;
  /** Set by close(): every request still queued or running ends with it. */
  private closing: ShuttingDownError | undefined;

  constructor(
    private readonly model: LlamaModel,
    /** Token texts for the logprobs. */
    private readonly pieces: TokenPieces,
    sequences: readonly LlamaContextSequence[],
    private readonly options: SchedulerOptions,
  ) {
    this.slots = sequences.map((sequence, id) => ({ id, sequence, phase: "idle", lastUsed: 0, running: undefined, tainted: false }));
    this.queue = new AdmissionQueue(options.queue, (job, error) => job.events.fail(error));
    this.embeddings = new EmbeddingLane(options.queue);
  }

  /**
   * Queues a request's jobs, accepted or refused as a whole before any of them runs: throws QueueFullError when
   * it would wait and the queue is full, ShuttingDownError once draining or closing.
   */
  submit(jobs: readonly Job[], signal: AbortSignal): void {
    if (this.stopping) throw new ShuttingDownError();
    const idle = this.slots.filter((slot) => slot.phase === "idle").length;
    this.queue.push(jobs, signal, idle - this.queue.length);
    this.wake();
  }

  /** Queues an embeddings request, evaluated between the decode steps; throws as `submit` does. */
  submitEmbedding(job: EmbeddingJob): void {
    if (this.stopping) throw new ShuttingDownError();
    this.embeddings.submit(job);
    this.wake();
  }

  /**
   * Stops taking requests (they get ShuttingDownError, as do the queued ones none of whose jobs runs yet), lets
   * the running ones finish, and resolves once none runs.
   */
  async drain(): Promise<void> {
    this.stopping = true;
    this.queue.dropWaiting(new ShuttingDownError(), false);
    this.embeddings.queue.dropWaiting(new ShuttingDownError(), false);
    await this.idle();
  }

  /** Ends every queued and running request with ShuttingDownError and resolves once the loop has stopped. */
  async close(): Promise<void> {
    this.stopping = true;
    this.closing ??= new ShuttingDownError();
    this.queue.dropWaiting(this.closing, true);
    this.embeddings.queue.dropWaiting(this.closing, true);
    await this.idle();
  }

  /** Calls `observer` after every step with what it evaluated; returns the function that stops it. */
  observe(observer: (step: StepRecord) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  stats(): EngineStats {
    const count = (phase: SlotPhase): number => this.slots.filter((slot) => slot.phase === phase).length;
    const idle = count("idle");
    const backlogged = this.slots.filter((slot) => this.backlogged(slot)).length;
    return {
      slots: { total: this.slots.length, idle, busy: this.slots.length - idle, prefill: count("prefill"), decode: count("decode"), backlogged },
      // requests, as --max-queue counts them: a running request's later choices waiting for a slot are not counted
      queued: this.queue.waitingRequests + this.embeddings.queue.waitingRequests,
      counters: { ...this.counters },
    };
  }

  /** A decoding slot whose request's consumer is more than MAX_BACKLOG events behind. */
  private backlogged(slot: Slot): boolean {
    return slot.phase === "decode" && slot.running !== undefined && slot.running.job.events.backlog() > MAX_BACKLOG;
  }

  private async idle(): Promise<void> {
    this.wake();
    while (this.loop) await this.loop;
  }

  /** A new request or a cancellation can need the loop; starts it unless it is running. */
  private wake(): void {
    this.loop ??= this.runGuarded().then(() => {
      this.loop = undefined;
      // from a fresh event-loop turn: whatever the loop left waiting, this never becomes a chain of microtasks
      if (this.queue.length > 0 || this.embeddings.queue.length > 0) setImmediate(() => this.wake());
    });
  }

  /** The loop, whose own faults end the jobs it was running (or, running none, those waiting), never the process. */
  private async runGuarded(): Promise<void> {
    try {
      await this.run();
    } catch (fault) {
      const error = new EngineFailureError(fault);
      let failed = 0;
      for (const slot of this.slots) if (this.abandon(slot, error)) failed++;
      if (this.embeddings.abandon(error)) failed++;
      if (failed === 0) {
        this.queue.dropWaiting(error, true);
        this.embeddings.queue.dropWaiting(error, true);
      }
      // the next turn starts from a fresh event-loop turn, never as a tight chain of microtasks
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async run(): Promise<void> {
    for (;;) {
      await this.endCancelled();
      await this.admit();
      this.embeddings.settle(() => ++this.clock, this.closing);
      const active = this.slots.filter((slot) => slot.running !== undefined);
      // the embedding request plans as one more prefilling slot, after the real ones
      const lane = this.embeddings.view(this.slots.length);
      if (active.length === 0 && lane === undefined) return;
      const views = active.map((slot): ActiveSlot => ({
        id: slot.id,
        phase: slot.phase === "decode" ? "decode" : "prefill",
        remaining: slot.running!.job.prompt.length - slot.running!.evaluated,
        admitted: slot.running!.admitted,
        // a slot that others wait for is never held back: the request would keep it and never end
        backlogged: this.queue.length === 0 && this.backlogged(slot),
      }));
      const plan = planStep(lane ? [...views, lane] : views, this.options.prefillChunk);
      const started = performance.now();
      // every item is started in this same tick, so node-llama-cpp decodes them all in one batch (the embedding
      // chunk, in a context of its own, right after it)
      let embedded = 0;
      const step = Promise.allSettled(
        plan.map(async (item) => {
          if (item.id === this.slots.length && item.kind === "prefill") embedded = await this.embeddings.advance(item);
          else await this.advance(item);
        }),
      );
      this.flushAfterDispatch();
      // a fault of the loop's own code in one item is raised once every evaluation of the step has settled
      for (const result of await step) if (result.status === "rejected") throw result.reason;
      this.record(plan.filter((item) => item.id !== this.slots.length), embedded, performance.now() - started);
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

  private record(plan: readonly StepItem[], embedded: number, ms: number): void {
    let decode = 0;
    let prefillTokens = 0;
    for (const item of plan) {
      if (item.kind === "decode") decode++;
      else prefillTokens += item.tokens;
    }
    this.counters.steps++;
    this.counters.stepTokens += decode + prefillTokens + embedded;
    this.counters.prefillTokens += prefillTokens;
    this.counters.embeddingTokens += embedded;
    this.counters.stepMs += ms;
    if (this.observers.size === 0) return; // the per-step record is built only for someone who reads it
    const step: StepRecord = {
      decode: plan.flatMap((item) => (item.kind === "decode" ? [item.id] : [])),
      prefill: plan.flatMap((item) => (item.kind === "prefill" ? [{ slot: item.id, tokens: item.tokens }] : [])),
      embedding: embedded,
      ms,
    };
    for (const observer of this.observers) observer(step);
  }

  /** Ends every running job whose request was cancelled (client gone, deadline passed) or halted, or all when closing. */
  private async endCancelled(): Promise<void> {
    for (const slot of this.slots) {
      const job = slot.running?.job;
      if (job?.signal.aborted) await this.end(slot, AbortedError.of(job.signal));
      else if (job?.halt?.aborted) await this.end(slot, "stop");
      else if (job && this.closing) await this.end(slot, this.closing);
    }
  }

  /** Gives idle slots to admissible waiting jobs, in arrival order, and puts the reusable part of each prompt in place. */
  private async admit(): Promise<void> {
    while (this.slots.some((slot) => slot.phase === "idle")) {
      const job = this.queue.take((waiting) => waiting.after === undefined || this.promptsReady.has(waiting.after));
      if (job === undefined) return;
      let output: JobOutput;
      try {
        output = new JobOutput(this.model, this.pieces, job, (text, logprobs) => this.outbox.push({ events: job.events, text, logprobs }));
      } catch (error) {
        job.events.fail(new EngineFailureError(error));
        continue;
      }
      // a tainted slot's cells are nobody's prefix
      const views = this.slots.map((slot) => ({ phase: slot.phase, cachedTokens: slot.tainted ? [] : slot.sequence.contextTokens, lastUsed: slot.lastUsed }));
      const choice = pickSlot(views, job.prompt, this.options.minCopyTokens)!;
      const slot = this.slots[choice.slot]!;
      slot.phase = nextPhase(slot.phase, "admit");
      slot.lastUsed = ++this.clock;
      this.counters.requests++;
      const running: Running = { job, admitted: slot.lastUsed, evaluated: 0, cachedTokens: 0, queueMs: performance.now() - job.submitted, output, tokens: undefined };
      slot.running = running;
      try {
        if (slot.tainted || job.promptLogprobs !== undefined) {
          // prompt logprobs: every prompt position's output is needed, so nothing cached can be used
          await slot.sequence.clearHistory();
          slot.tainted = false;
        }
        if (job.promptLogprobs === undefined) {
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
        await this.end(slot, new EngineFailureError(error));
      }
    }
  }

  /** Runs one slot's share of a step. Never throws: a failure ends that slot's request only. */
  private async advance(item: StepItem): Promise<void> {
    const slot = this.slots[item.id]!;
    const running = slot.running!;
    const { job, output } = running;
    try {
      if (item.kind === "prefill") {
        let chunk = job.prompt.slice(running.evaluated, running.evaluated + item.tokens);
        if (job.promptLogprobs !== undefined) {
          // every position scored but the last one, whose output is the first sampling's (when there is one)
          const scored = item.final && job.maxTokens > 0 ? chunk.slice(0, -1) : chunk;
          if (scored.length > 0) await output.scorePrompt(slot.sequence, running.evaluated, scored);
          running.evaluated += scored.length;
          chunk = chunk.slice(scored.length);
          if (item.final) job.events.push({ type: "prompt", logprobs: output.promptLogprobs() });
          if (item.final && job.maxTokens === 0) return await this.end(slot, "length");
          if (!item.final) return;
        } else if (!item.final) {
          await slot.sequence.evaluateWithoutGeneratingNewTokens(chunk);
          running.evaluated += chunk.length;
          return;
        }
        const metadata = { confidence: job.logprobs !== undefined, probabilities: (job.logprobs ?? 0) > 0 };
        const tokens: AsyncIterable<Sampled> = slot.sequence.evaluateWithMetadata(chunk, metadata, job.options(output.generated));
        running.tokens = tokens[Symbol.asyncIterator]();
        running.evaluated += chunk.length;
      }
      const next = await running.tokens!.next();
      if (slot.phase === "prefill") {
        slot.phase = nextPhase(slot.phase, "first-token");
        this.promptsReady.add(job);
      }
      if (!next.done) this.counters.generatedTokens++;
      const finish = next.done ? "length" : output.accept(next.value);
      if (finish !== undefined) await this.end(slot, finish);
    } catch (error) {
      await this.end(slot, error instanceof AbortedError ? error : new EngineFailureError(error));
    }
  }

  /**
   * Frees the slot, then completes the request: with `done` (after the text held back for stop strings) when it
   * finished, or with the error. A failure of the engine taints the slot.
   */
  private async end(slot: Slot, outcome: EngineError | FinishReason): Promise<void> {
    const running = slot.running!;
    slot.phase = nextPhase(slot.phase, "end");
    let failure = typeof outcome === "string" ? undefined : outcome;
    try {
      await running.tokens?.return?.();
    } catch (returnError) {
      failure ??= new EngineFailureError(returnError);
    }
    this.abandon(slot, failure);
    if (failure !== undefined || typeof outcome !== "string") return;
    const events = running.job.events;
    const rest = running.output.rest();
    if (rest.logprobs?.length) events.push({ type: "text", text: rest.text, logprobs: rest.logprobs });
    else if (rest.text !== "") events.push({ type: "text", text: rest.text });
    const usage = { promptTokens: running.job.prompt.length, completionTokens: running.output.completionTokens, cachedTokens: running.cachedTokens };
    events.push({ type: "done", finishReason: outcome, usage, queueMs: running.queueMs });
    events.close();
  }

  /**
   * Frees `slot` at once (no native call: safe after any fault) and, given an error, fails its job with it.
   * Returns whether the slot had a job.
   */
  private abandon(slot: Slot, error: EngineError | undefined): boolean {
    const running = slot.running;
    if (running === undefined) return false;
    slot.running = undefined;
    slot.phase = "idle";
    this.promptsReady.add(running.job);
    this.flush(); // the request's text before its end
    if (error instanceof EngineFailureError) slot.tainted = true;
    if (error !== undefined) running.job.events.fail(error);
    return true;
  }
}
