import type { ConcurrentSample } from "./concurrentStreams.js";
import { percentile } from "./percentile.js";

/** The figures of one stream count over all runs. */
export interface ConcurrencyResult {
  streams: number;
  /** Aggregate completion tokens/s while all streams decode, one figure per run. */
  tokensPerSecond: number[];
  /** Time between consecutive tokens of a stream, over all streams and runs (ms). */
  gapP50: number;
  gapP95: number;
  /** Tokens the server sampled per decode step (from hermes' /health counters): how many streams shared each batch. */
  tokensPerStep?: number;
}

/** Gathers the samples of one stream count over the runs, and sums them up at the end. */
export class ConcurrencyTally {
  private readonly tokensPerSecond: number[] = [];
  private readonly gaps: number[] = [];
  private steps = 0;
  private tokens = 0;

  constructor(readonly streams: number) {}

  add(sample: ConcurrentSample): void {
    this.tokensPerSecond.push(sample.tokensPerSecond);
    this.gaps.push(...sample.gaps);
    this.steps += sample.steps?.steps ?? 0;
    this.tokens += sample.steps?.tokens ?? 0;
  }

  result(): ConcurrencyResult {
    const result: ConcurrencyResult = {
      streams: this.streams,
      tokensPerSecond: this.tokensPerSecond,
      gapP50: percentile(this.gaps, 50),
      gapP95: percentile(this.gaps, 95),
    };
    if (this.steps > 0) result.tokensPerStep = this.tokens / this.steps;
    return result;
  }
}
