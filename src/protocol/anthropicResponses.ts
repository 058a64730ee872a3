import { randomUUID } from "node:crypto";

/**
 * Response bodies and stream events of Anthropic's Messages API, as its published OpenAPI description has them
 * (test/fixtures/anthropic-schemas.json is checked against what the server sends).
 */

/**
 * `input_tokens` are the prompt tokens evaluated, `cache_read_input_tokens` those the prefix cache already held (the
 * prompt is their sum, as in Anthropic's accounting); nothing is written to a cache on request, so
 * `cache_creation_input_tokens` is 0.
 */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type AnthropicContentBlock =
  | { type: "text"; text: string }
  /** `input`: the call's arguments, always an object. */
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/** `refusal`: the content filter withheld the answer. */
export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal";

export interface AnthropicResponseMessage {
  id: string;
  type: "message";
  role: "assistant";
  content: AnthropicContentBlock[];
  model: string;
  /** Null only in `message_start`. */
  stop_reason: AnthropicStopReason | null;
  /** The client's stop sequence that ended the answer, else null. */
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

export type AnthropicDelta = { type: "text_delta"; text: string } | { type: "input_json_delta"; partial_json: string };

/** The named events of a stream, in Anthropic's order (the event's name is its `type`). */
export type AnthropicStreamEvent =
  | { type: "message_start"; message: AnthropicResponseMessage }
  | { type: "content_block_start"; index: number; content_block: AnthropicContentBlock }
  | { type: "ping" }
  | { type: "content_block_delta"; index: number; delta: AnthropicDelta }
  | { type: "content_block_stop"; index: number }
  | { type: "message_delta"; delta: { stop_reason: AnthropicStopReason; stop_sequence: string | null }; usage: AnthropicUsage }
  | { type: "message_stop" };

export interface AnthropicTokenCount {
  input_tokens: number;
}

/** `msg_` and 24 hex digits, the length of Anthropic's ids. */
export function messageId(): string {
  return `msg_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

/** `toolu_` and 24 hex digits. */
export function toolUseId(): string {
  return `toolu_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
}
