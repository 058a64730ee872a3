/** Sampling settings in the engine's own terms (already validated and defaulted by the caller). */
export interface SamplingParams {
  temperature: number;
  /** 0 = no top-k cut. */
  topK: number;
  /** 1 = no nucleus cut. */
  topP: number;
  minP: number;
  seed: number;
  presencePenalty: number;
  frequencyPenalty: number;
  /** Multiplicative repetition penalty; 1 = none. */
  repetitionPenalty: number;
  /** Additive logit bias by token id. */
  logitBias: ReadonlyMap<number, number>;
}

export interface GenerationRequest {
  promptTokens: readonly number[];
  maxTokens: number;
  sampling: SamplingParams;
  stop: readonly string[];
}

export type FinishReason = "stop" | "length";

export interface GenerationUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

/** What a generation produces, in order: text pieces, then exactly one `done`. */
export type GenerationEvent =
  | { type: "text"; text: string }
  | { type: "done"; finishReason: FinishReason; usage: GenerationUsage };

export interface ModelInfo {
  /** The GGUF's `general.name`, or the file name. */
  name: string;
  path: string;
  architecture: string;
  /** Tokens each request may use (prompt + completion). */
  contextSize: number;
  vocabularySize: number;
  addBos: boolean;
  bosText: string;
  eosText: string;
  chatTemplate?: string;
}

/** Totals since the engine started. */
export interface SchedulerCounters {
  /** Requests admitted to a slot. */
  requests: number;
  /** Prompt tokens of the admitted requests. */
  promptTokens: number;
  /** Of those, tokens not evaluated: already in the slot's cache, or copied from another slot. */
  cachedTokens: number;
  /** Of the cached tokens, those copied from another slot's cache. */
  copiedTokens: number;
  /** Prompt tokens evaluated. */
  prefillTokens: number;
  /** Tokens sampled (completion tokens, end-of-sequence included). */
  generatedTokens: number;
  /** Decode steps (llama.cpp batches) run. */
  steps: number;
  /** Tokens evaluated in those steps (prompt chunks plus one per decoding request). */
  stepTokens: number;
  /** Time spent in steps, ms. */
  stepMs: number;
}

export interface EngineStats {
  slots: { total: number; idle: number; busy: number; prefill: number; decode: number };
  queued: number;
  counters: SchedulerCounters;
}

/** What one decode step evaluated (for observers: tests and diagnostics). */
export interface StepRecord {
  /** Slots that sampled one token. */
  decode: number[];
  /** Slots that evaluated a chunk of their prompt. */
  prefill: Array<{ slot: number; tokens: number }>;
  ms: number;
}
