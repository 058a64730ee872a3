import type { SequenceEvaluateOptions, Token } from "node-llama-cpp";
import type { GenerationEvent } from "./types.js";

/** Where a job's events go: the consumer's channel, or its request's shared one. */
export interface EventSink<T> {
  push(item: T): void;
  close(): void;
  fail(error: Error): void;
  /** Events pushed that the consumer has not read yet. */
  backlog(): number;
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
  events: EventSink<GenerationEvent>;
  /**
   * A job of the same request with the same prompt: this one is admitted only once that one's prompt is in its
   * slot's cache, so that it copies those cells instead of computing them again.
   */
  after?: Job;
  /** When it was submitted (performance.now()), for the time it waited for a slot. */
  submitted: number;
}
