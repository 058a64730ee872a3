import type { PromptCacheStats } from "./PromptCache.js";
import type { ThreadsInfo } from "./ThreadsInfo.js";
import type { KvCacheSettings } from "./kvCacheLayout.js";

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
  /** 0 only with `promptLogprobs`: the prompt is scored, nothing is generated. */
  maxTokens: number;
  sampling: SamplingParams;
  stop: readonly string[];
  /** Report each generated token's logprob with this many most likely alternatives (0..20). */
  logprobs?: number;
  /** Report each prompt token's logprob (the raw model's) with this many alternatives; the prompt is then recomputed. */
  promptLogprobs?: number;
  /** Constrain the output to a grammar, and close it early enough to stay within `maxTokens`. */
  structured?: StructuredOutput;
  /** Aborting it ends the generation at the next step as a normal end ("stop", with its usage), not as an error. */
  halt?: AbortSignal;
}

/** An output format enforced during sampling. */
export interface StructuredOutput {
  /** GBNF (llama.cpp's grammar format) of every text allowed; once the text is whole, only end of sequence is. */
  grammar: string;
  /** The text that completes `text` (a prefix the grammar allows) into a whole sentence of it. */
  close(text: string): string;
}

export type FinishReason = "stop" | "length";

/** A possible token at one position and its log-probability. */
export interface TokenAlternative {
  token: number;
  /** The token's text alone, and its exact bytes (a byte token's text is U+FFFD when the byte is no character). */
  text: string;
  bytes: number[];
  logprob: number;
}

/**
 * A token of the prompt or the completion with its log-probability and the most likely tokens at its position.
 * Generated tokens: the distribution sampled from (after penalties, logit bias, top-k/top-p/min-p and temperature;
 * at temperature 0 the raw model's). Prompt tokens: the raw model's. The prompt's first token has none (null).
 */
export interface TokenLogprob extends Omit<TokenAlternative, "logprob"> {
  logprob: number | null;
  top: TokenAlternative[];
  /** Characters of the prompt's or the completion's decoded text before this token. */
  offset: number;
}

export interface GenerationUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

/**
 * What a generation produces, in order: the prompt's logprobs when asked for, text pieces (with the logprobs of the
 * tokens whose text they carry, when asked for), then exactly one `done`.
 */
export type GenerationEvent =
  | { type: "prompt"; logprobs: TokenLogprob[] }
  | { type: "text"; text: string; logprobs?: TokenLogprob[] }
  | ({
      type: "done";
      finishReason: FinishReason;
      usage: GenerationUsage;
      /** The stop string that ended it ("stop" only; absent when end of sequence or a halt did). */
      stopSequence?: string;
    } & GenerationTimings);

/**
 * Where a finished generation's time went, in milliseconds measured by the scheduler: waiting for a slot, then its
 * prompt (the part not cached) evaluated up to its first token sampled, then its other tokens.
 */
export interface GenerationTimings {
  /** Milliseconds the generation waited in the queue for a slot. */
  queueMs: number;
  /** From its admission to a slot to its first token sampled (all of the time on the slot when none was). */
  promptMs: number;
  /** From its first token sampled to its end (0 when none was). */
  generationMs: number;
}

/** An event of one generation of a request that runs several (index: the generation's place in the request). */
export type IndexedEvent = GenerationEvent & { index: number };

export interface ModelInfo {
  /** The GGUF's `general.name`, or the file name. */
  name: string;
  path: string;
  architecture: string;
  /** Tokens each request may use (prompt + completion). */
  contextSize: number;
  /**
   * The KV cache's element types, flash attention as asked for, and the bytes of KV cache one slot holds (computed
   * from the GGUF's attention shape and the types: node-llama-cpp 3.22.1 reports no size of a made context).
   */
  kvCache: KvCacheSettings & { bytesPerSlot: number };
  /** The thread counts of the model's batches by kind, and the rates measured when they were chosen (`--threads auto`). */
  threads: ThreadsInfo;
  vocabularySize: number;
  /**
   * Characters (UTF-16 units) of the vocabulary's longest token: no token's text is longer, so a text of more than
   * `contextSize` × this many characters cannot fit the context, whatever its tokenization.
   */
  readonly longestTokenChars: number;
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
  /** Of those, tokens not evaluated: already in the slot's cache, copied from another slot, or restored. */
  cachedTokens: number;
  /** Of the cached tokens, those copied from another slot's cache. */
  copiedTokens: number;
  /** Of the cached tokens, those restored from the prompt cache (a state kept from an earlier request). */
  restoredTokens: number;
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
  /** Embedding input tokens evaluated (between the decode steps, in those steps' time). */
  embeddingTokens: number;
}

export interface EngineStats {
  /** `backlogged`: decoding slots whose client has stopped reading (they decode only when the others leave room). */
  slots: { total: number; idle: number; busy: number; prefill: number; decode: number; backlogged: number };
  queued: number;
  /**
   * KV cells (one per token of a slot's context) held by the slots running a request, and allocated to all slots: a
   * load balancer's measure of how full the server is (an idle slot's cells only cache a prefix, and are free to reuse).
   */
  kvCells: { used: number; total: number };
  counters: SchedulerCounters;
  /** The prompt cache's tiers and counters, when it is on. */
  promptCache?: PromptCacheStats;
}

/**
 * One generation's life on a slot, when it leaves it (for the latency metrics): how it ended, its times in ms
 * (performance.now() differences) and tokens. `ttftMs` and `decodeMs` are absent when it ended before its first token.
 */
export interface RequestRecord {
  outcome: FinishReason | "aborted" | "failed";
  /** Submitted → admitted to a slot. */
  queueMs: number;
  /** Submitted → first token (the queue and the prefill). */
  ttftMs: number | undefined;
  /** Admitted → first token. */
  prefillMs: number | undefined;
  /** First token → end. */
  decodeMs: number | undefined;
  /** Submitted → end. */
  e2eMs: number;
  promptTokens: number;
  generatedTokens: number;
  /** The time between each two successive tokens. */
  interTokenMs: readonly number[];
}

/** What one decode step evaluated (for observers: tests and diagnostics). */
export interface StepRecord {
  /** Slots that sampled one token. */
  decode: number[];
  /** Slots that evaluated a chunk of their prompt. */
  prefill: Array<{ slot: number; tokens: number }>;
  /** Tokens of an embedding input evaluated with the step. */
  embedding: number;
  ms: number;
}
