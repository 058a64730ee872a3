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

export interface EngineStats {
  slots: { total: number; idle: number; busy: number };
  queued: number;
}
