import type { Token } from "node-llama-cpp";
import { AdmissionQueue, type QueueLimits } from "./AdmissionQueue.js";
import type { Embedder } from "./Embedder.js";
import { AbortedError, EngineFailureError, type EngineError } from "./engineErrors.js";
import type { ActiveSlot, StepItem } from "./planStep.js";

/** One embeddings request: its inputs (as `Embedder.inputTokens`), computed one after the other. */
export interface EmbeddingJob {
  embedder: Embedder;
  inputs: readonly Token[][];
  signal: AbortSignal;
  /** When it was submitted (performance.now()). */
  submitted: number;
  resolve(result: { vectors: number[][]; queueMs: number }): void;
  reject(error: EngineError): void;
}

interface Current {
  job: EmbeddingJob;
  admitted: number;
  queueMs: number;
  /** The input being evaluated, and how many of its tokens are in the embedding context so far. */
  input: number;
  evaluated: number;
  vectors: number[][];
}

/**
 * Embeddings between the decode steps: one request at a time, its inputs evaluated a chunk per step within the
 * step's prompt budget (`planStep`, by admission order like a prompt), so that a long input pauses the streams
 * for one chunk at a time instead of for its whole length. Requests wait in a queue of their own, with the same
 * bound and timeout as the generations'.
 */
export class EmbeddingLane {
  readonly queue: AdmissionQueue<EmbeddingJob>;
  private current: Current | undefined;

  constructor(limits: QueueLimits) {
    this.queue = new AdmissionQueue(limits, (job, error) => job.reject(error));
  }

  /** Queues a request; throws QueueFullError when it would wait and the queue is full. */
  submit(job: EmbeddingJob): void {
    this.queue.push([job], job.signal, (this.current ? 0 : 1) - this.queue.length);
  }

  /** Between steps: ends the running request when cancelled (or with `closing`), then takes the next one. */
  settle(clock: () => number, closing: EngineError | undefined): void {
    const job = this.current?.job;
    if (job?.signal.aborted) this.abandon(AbortedError.of(job.signal));
    else if (job && closing) this.abandon(closing);
    if (this.current) return;
    const next = this.queue.take();
    if (next) this.current = { job: next, admitted: clock(), queueMs: performance.now() - next.submitted, input: 0, evaluated: 0, vectors: [] };
  }

  /** The running request as the step planner sees it, under the id `id`. */
  view(id: number): ActiveSlot | undefined {
    const current = this.current;
    if (!current) return undefined;
    return { id, phase: "prefill", remaining: current.job.inputs[current.input]!.length - current.evaluated, admitted: current.admitted };
  }

  /** Evaluates the lane's share of a step; returns the tokens evaluated. Never throws: a failure ends its request. */
  async advance(item: Extract<StepItem, { kind: "prefill" }>): Promise<number> {
    const current = this.current!;
    const { job } = current;
    const input = job.inputs[current.input]!;
    // a model that pools over every token gets its input whole, whatever the budget
    const whole = !job.embedder.chunkable;
    const tokens = whole ? input.length - current.evaluated : item.tokens;
    const final = whole || item.final;
    try {
      const vector = await job.embedder.evaluate(input.slice(current.evaluated, current.evaluated + tokens), current.evaluated, final);
      current.evaluated += tokens;
      if (vector) {
        current.vectors.push(vector);
        current.input++;
        current.evaluated = 0;
      }
      if (current.input === job.inputs.length) {
        this.current = undefined;
        job.resolve({ vectors: current.vectors, queueMs: current.queueMs });
      }
    } catch (error) {
      this.abandon(new EngineFailureError(error));
    }
    return tokens;
  }

  /** Ends the running request with `error` at once; returns whether one was running. */
  abandon(error: EngineError): boolean {
    const current = this.current;
    if (!current) return false;
    this.current = undefined;
    current.job.reject(error);
    return true;
  }
}
