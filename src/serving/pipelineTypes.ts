import type { FinishReason, GenerationRequest, GenerationTimings, GenerationUsage, TokenLogprob } from "../engine/types.js";
import type { ModerationVerdict } from "../moderation/ModerationVerdict.js";
import type { ToolOutputEvent } from "../tools/ToolCallParser.js";
import type { GenerationObserver } from "./GenerationObserver.js";

/**
 * The generation pipeline's terms, which know no API surface: a surface maps its request to `PipelinePrompt`s and
 * renders `PipelineEvent`s (streamed) or `ChoiceResult`s (whole) into its own shapes.
 */

/** Why a choice ended: the engine's reasons, the calls it made, or its output withheld by the content filter. */
export type ChoiceEnd = FinishReason | "tool_calls" | "content_filter";

/** One prompt of a request, in the engine's terms, and what moderation reads of it. */
export interface PipelinePrompt {
  /** Its generation (each choice gets its own seed and, streamed under a blocking filter, its own halt). */
  request: Omit<GenerationRequest, "halt">;
  /** The text the prompt moderation judges, and the context its outputs are judged in. */
  moderated: string;
  /** The request parameter a 400 `content_filter` on this prompt names. */
  param: string;
}

export interface PipelineSpec {
  prompts: readonly PipelinePrompt[];
  /** Generations per prompt: choice index = prompt index × `perPrompt` + j. */
  perPrompt: number;
  /** The tools whose calls are split out of each choice's text; `single`: the output ends with its first call. */
  toolCalls?: { names: ReadonlySet<string>; single: boolean } | undefined;
  signal?: AbortSignal | undefined;
  observer?: GenerationObserver | undefined;
}

/** A streamed request's events. `verdict`: what output moderation has found so far in that choice (undefined: off). */
export type PipelineEvent =
  /** Every choice, once the generation has started (a refusal before it is still a plain error). */
  | { type: "start"; index: number; verdict: ModerationVerdict | undefined }
  /** The prompt's logprobs, when asked for. */
  | { type: "prompt"; index: number; logprobs: TokenLogprob[]; verdict: ModerationVerdict | undefined }
  /**
   * A piece of text the content filter let through, and the same text split into content and tool calls (`pieces`:
   * what the tool-call parser releases of it; the text itself, when not empty, without tools).
   */
  | { type: "text"; index: number; text: string; pieces: ToolOutputEvent[]; logprobs: TokenLogprob[]; verdict: ModerationVerdict | undefined }
  /**
   * A choice's end: what its parser still held (`pieces`), why it ended (`stopSequence`: the stop string that ended
   * it, when one did), its final verdict, usage and timings.
   */
  | { type: "done"; index: number; pieces: ToolOutputEvent[]; finishReason: ChoiceEnd; stopSequence?: string; verdict: ModerationVerdict | undefined; usage: GenerationUsage; timings: GenerationTimings }
  /** Last: the request's usage, a prompt's tokens counted once however many choices it had. */
  | { type: "usage"; usage: GenerationUsage };

/** One finished choice of a request that is answered whole. */
export interface ChoiceResult {
  /** Its place in the answer (with `keep` below `perPrompt`: prompt index × keep + rank). */
  index: number;
  /** The generated text; "" when withheld. */
  text: string;
  /** The text split into content and tool calls; none when withheld. */
  pieces: ToolOutputEvent[];
  /** The prompt's logprobs, when asked for. */
  promptLogprobs: TokenLogprob[];
  /** The generated tokens' logprobs, when asked for; none when withheld. */
  logprobs: TokenLogprob[];
  finishReason: ChoiceEnd;
  /** The stop string that ended it, when one did. */
  stopSequence?: string;
  /** The output moderation's verdict on the whole text (undefined: moderation is off). */
  verdict: ModerationVerdict | undefined;
  /** Where its time went (the engine's measures). */
  timings: GenerationTimings;
}
