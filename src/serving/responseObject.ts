import { unixTime } from "../protocol/responses.js";
import type { OutputItem, ResponseObject, ResponseSettings, ResponseUsage } from "../protocol/responseObjects.js";
import type { ChoiceEnd } from "./pipelineTypes.js";

/** What a Responses API answer says besides its output: its id, when it was made, and the request's settings. */
export interface ResponseRendering {
  id: string;
  createdAt: number;
  settings: ResponseSettings;
  /** `include` asked for `message.output_text.logprobs` (or `top_logprobs` for some). */
  wantsLogprobs: boolean;
}

/** Where a response stands: running (no `end`), ended (`end` and `usage`), or failed (`error`). */
export interface ResponseOutcome {
  output: OutputItem[];
  end?: ChoiceEnd;
  usage?: ResponseUsage;
  error?: ResponseObject["error"];
}

/** Why a response is incomplete: its tokens ran out, or the content filter withheld the rest; undefined when it is not. */
export function incompleteReason(end: ChoiceEnd | undefined): "max_output_tokens" | "content_filter" | undefined {
  return end === "length" ? "max_output_tokens" : end === "content_filter" ? "content_filter" : undefined;
}

/** The response object at one point of its life (streamed: each lifecycle event carries it whole). */
export function responseObject(rendering: ResponseRendering, outcome: ResponseOutcome): ResponseObject {
  const reason = incompleteReason(outcome.end);
  const status = outcome.error ? "failed" : outcome.end === undefined ? "in_progress" : reason ? "incomplete" : "completed";
  return {
    id: rendering.id,
    object: "response",
    created_at: rendering.createdAt,
    completed_at: status === "completed" ? unixTime() : null,
    status,
    error: outcome.error ?? null,
    incomplete_details: reason ? { reason } : null,
    ...rendering.settings,
    output: outcome.output,
    ...(outcome.usage ? { usage: outcome.usage } : {}),
    previous_response_id: null,
    reasoning: null,
    store: false,
    background: false,
    truncation: "disabled",
    service_tier: "default",
  };
}
