import type { LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { AdmissionQueue, type QueueLimits } from "./AdmissionQueue.js";
import { advanceSlot, type SlotOutcome } from "./advanceSlot.js";
import { EmbeddingLane, type EmbeddingJob } from "./EmbeddingLane.js";
import { AbortedError, EngineFailureError, ShuttingDownError, type EngineError } from "./engineErrors.js";
import type { Job } from "./Job.js";
import { JobOutput } from "./JobOutput.js";
import { nextPhase, type SlotPhase } from "./nextPhase.js";
import { Outbox } from "./Outbox.js";
import { pickSlot, type SlotChoice } from "./pickSlot.js";
import { placeJob, type PromptSeed } from "./placeJob.js";
import type { PromptCache } from "./PromptCache.js";
import { planStep, type StepItem } from "./planStep.js";
import { Slot, type Running } from "./Slot.js";
import { StepRecorder } from "./StepRecorder.js";
import type { TokenPieces } from "./TokenPieces.js";
import type { EngineStats, RequestRecord, StepRecord } from "./types.js";

export interface SchedulerOptions {
  /** Prompt tokens evaluated per decode step, at most (all prefilling requests together). */
  prefillChunk: number;
  /** A prefix held by another slot is copied when it saves at least this many tokens of prefill. */
  minCopyTokens: number;
  queue: QueueLimits;
  /** Keeps the states of reused slots and restores them for returning prompts (none: slots are the only cache). */
  promptCache?: PromptCache;
}

/** A step with at least this many prompt tokens tells the prompt cache what a token of prefill costs. */
const PREFILL_SAMPLE_TOKENS = 16;

/**
 * The decode loop. Requests wait in a bounded FIFO; each admitted job gets a slot (a context sequence) chosen for
 * prefix reuse, possibly seeded by copying another slot's KV cells or by restoring a state the prompt cache kept
 * (`placeJob`); a slot's state is offered to the prompt cache before a job reuses the slot. Then every step evaluates, in one
 * llama.cpp batch, one token for each decoding slot and a bounded chunk of the prompts being prefilled
 * (`advanceSlot`), and delivers the sampled tokens as text (`Outbox`). Cancellations, admissions and copies happen
 * between steps, never during one. A fault (llama.cpp's, or the loop's own) fails only the jobs it touches; the
 * loop goes on with the others.
 */
export class Scheduler {
  private readonly slots: Slot[];
  private readonly queue: AdmissionQueue<Job>;
  private readonly embeddings: EmbeddingLane;
  private readonly recorder = new StepRecorder();
  private readonly requestObservers = new Set<(record: RequestRecord) => void>();
  private clock = 0;
  private loop: Promise<void> | undefined;
  /** Jobs whose prompt is in their slot's cache (or that ended): the jobs `after` them may be admitted. */
  private readonly promptsReady = new WeakSet<Job>();
  private readonly outbox = new Outbox();
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
    this.slots = sequences.map((sequence, id) => new Slot(id, sequence));
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
    await this.options.promptCache?.persist(this.slots.filter((slot) => !slot.tainted).map((slot) => slot.sequence));
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
    return this.recorder.observe(observer);
  }

  /** Calls `observer` as each generation leaves its slot, with its times and tokens; returns the function that stops it. */
  observeRequests(observer: (record: RequestRecord) => void): () => void {
    this.requestObservers.add(observer);
    return () => this.requestObservers.delete(observer);
  }

  stats(): EngineStats {
    const count = (phase: SlotPhase): number => this.slots.filter((slot) => slot.phase === phase).length;
    const idle = count("idle");
    const backlogged = this.slots.filter((slot) => slot.backlogged()).length;
    return {
      slots: { total: this.slots.length, idle, busy: this.slots.length - idle, prefill: count("prefill"), decode: count("decode"), backlogged },
      // requests, as --max-queue counts them: a running request's later choices waiting for a slot are not counted
      queued: this.queue.waitingRequests + this.embeddings.queue.waitingRequests,
      kvCells: {
        used: this.slots.reduce((sum, slot) => sum + (slot.running ? slot.sequence.nextTokenIndex : 0), 0),
        total: this.slots.reduce((sum, slot) => sum + slot.sequence.contextSize, 0),
      },
      counters: { ...this.recorder.counters },
      ...(this.options.promptCache ? { promptCache: this.options.promptCache.stats() } : {}),
    };
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
      // a slot that others wait for is never held back: the request would keep it and never end
      const views = active.map((slot) => slot.planView(this.queue.length === 0));
      const plan = planStep(lane ? [...views, lane] : views, this.options.prefillChunk);
      const started = performance.now();
      // every item is started in this same tick, so node-llama-cpp decodes them all in one batch (the embedding
      // chunk, in a context of its own, right after it)
      let embedded = 0;
      const step = Promise.allSettled(
        plan.map(async (item) => {
          if (item.id === this.slots.length && item.kind === "prefill") embedded = await this.embeddings.advance(item);
          else await this.advance(this.slots[item.id]!, item);
        }),
      );
      this.outbox.flushAfterDispatch();
      // a fault of the loop's own code in one item is raised once every evaluation of the step has settled
      for (const result of await step) if (result.status === "rejected") throw result.reason;
      const ms = performance.now() - started;
      const slotsPlan = plan.filter((item) => item.id !== this.slots.length);
      const evaluated = this.recorder.record(slotsPlan, embedded, ms);
      if (evaluated.prefillTokens >= PREFILL_SAMPLE_TOKENS) this.options.promptCache?.cost.recordPrefill(evaluated.tokens, ms);
    }
  }

  /** Runs one slot's share of a step, then ends its job if it finished or failed. */
  private async advance(slot: Slot, item: StepItem): Promise<void> {
    const outcome = await advanceSlot(slot, item, this.recorder.counters);
    if (slot.phase === "decode") this.promptsReady.add(slot.running!.job);
    if (outcome !== undefined) await this.end(slot, outcome);
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
        output = new JobOutput(this.model, this.pieces, job, (text, logprobs) => this.outbox.push(job.events, text, logprobs));
      } catch (error) {
        job.events.fail(new EngineFailureError(error));
        continue;
      }
      const choice = pickSlot(this.slots.map((slot) => slot.view()), job.prompt, this.options.minCopyTokens)!;
      const slot = this.slots[choice.slot]!;
      const seed = await this.seed(slot, choice, job);
      slot.admit(job, output, ++this.clock);
      this.recorder.counters.requests++;
      try {
        await placeJob(slot, seed, this.recorder.counters);
      } catch (error) {
        await this.end(slot, new EngineFailureError(error));
      }
    }
  }

  /**
   * What fills `slot` for `job` besides what it holds: a copy from the slot `pickSlot` chose, or a state of the prompt
   * cache that gives more. Keeps the slot's own state in the prompt cache first, if `job` would discard it.
   */
  private async seed(slot: Slot, choice: SlotChoice, job: Job): Promise<PromptSeed | undefined> {
    const copy: PromptSeed | undefined = choice.copy && { copy: { from: this.slots[choice.copy.from]!, tokens: choice.copy.tokens } };
    const cache = this.options.promptCache;
    if (cache === undefined) return copy;
    const found = job.promptLogprobs === undefined ? cache.find(job.prompt.slice(0, -1), choice.copy?.tokens ?? choice.reused) : undefined;
    if (!slot.tainted) await cache.keep(slot.sequence, job.promptLogprobs === undefined ? choice.reused : 0, found?.state);
    if (job.promptLogprobs !== undefined) return undefined;
    return found ? { restore: { cache, state: found.state } } : copy;
  }

  /**
   * Frees the slot, then completes the request: with `done` (after the text held back for stop strings) when it
   * finished, or with the error. A failure of the engine taints the slot.
   */
  private async end(slot: Slot, outcome: SlotOutcome): Promise<void> {
    const running = slot.running!;
    slot.phase = nextPhase(slot.phase, "end");
    let failure = typeof outcome === "string" ? undefined : outcome;
    try {
      await running.tokens?.return?.();
    } catch (returnError) {
      failure ??= new EngineFailureError(returnError);
    }
    this.abandon(slot, failure);
    const end = performance.now();
    this.report(running, failure === undefined && typeof outcome === "string" ? outcome : failure instanceof AbortedError ? "aborted" : "failed", end);
    if (failure !== undefined || typeof outcome !== "string") return;
    const { queueMs, admittedAt, firstTokenAt } = running;
    running.output.finish(outcome, running.cachedTokens, {
      queueMs,
      promptMs: (firstTokenAt ?? end) - admittedAt,
      generationMs: firstTokenAt === undefined ? 0 : end - firstTokenAt,
    });
  }

  /** Tells the request observers how a generation's time on its slot went. */
  private report(running: Running, outcome: RequestRecord["outcome"], end: number): void {
    if (this.requestObservers.size === 0) return;
    const { job, firstTokenAt } = running;
    const record: RequestRecord = {
      outcome,
      queueMs: running.queueMs,
      ttftMs: firstTokenAt === undefined ? undefined : firstTokenAt - job.submitted,
      prefillMs: firstTokenAt === undefined ? undefined : firstTokenAt - running.admittedAt,
      decodeMs: firstTokenAt === undefined ? undefined : end - firstTokenAt,
      e2eMs: end - job.submitted,
      promptTokens: job.prompt.length,
      generatedTokens: running.output.generated.length,
      interTokenMs: running.interTokenMs,
    };
    for (const observer of this.requestObservers) observer(record);
  }

  /** Frees `slot` at once and, given an error, fails its job with it. Returns whether the slot had a job. */
  private abandon(slot: Slot, error: EngineError | undefined): boolean {
    const running = slot.free();
    if (running === undefined) return false;
    this.promptsReady.add(running.job);
    this.outbox.flush(); // the request's text before its end
    if (error instanceof EngineFailureError) slot.tainted = true;
    if (error !== undefined) running.job.events.fail(error);
    return true;
  }
}
