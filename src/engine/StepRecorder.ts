import type { StepItem } from "./planStep.js";
import type { SchedulerCounters, StepRecord } from "./types.js";

/** The scheduler's totals since the engine started, and the observers of each step. */
export class StepRecorder {
  readonly counters: SchedulerCounters = {
    requests: 0,
    promptTokens: 0,
    cachedTokens: 0,
    copiedTokens: 0,
    restoredTokens: 0,
    prefillTokens: 0,
    generatedTokens: 0,
    steps: 0,
    stepTokens: 0,
    stepMs: 0,
    embeddingTokens: 0,
  };
  private readonly observers = new Set<(step: StepRecord) => void>();

  /** Calls `observer` after every step with what it evaluated; returns the function that stops it. */
  observe(observer: (step: StepRecord) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Counts a step of the slots' `plan` and `embedded` embedding tokens that took `ms`, and tells the observers.
   * Returns the step's tokens, all and prompt ones.
   */
  record(plan: readonly StepItem[], embedded: number, ms: number): { tokens: number; prefillTokens: number } {
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
    const evaluated = { tokens: decode + prefillTokens + embedded, prefillTokens };
    if (this.observers.size === 0) return evaluated; // the per-step record is built only for someone who reads it
    const step: StepRecord = {
      decode: plan.flatMap((item) => (item.kind === "decode" ? [item.id] : [])),
      prefill: plan.flatMap((item) => (item.kind === "prefill" ? [{ slot: item.id, tokens: item.tokens }] : [])),
      embedding: embedded,
      ms,
    };
    for (const observer of this.observers) observer(step);
    return evaluated;
  }
}
