import { randomBytes } from "node:crypto";
import type { GenerationUsage, TokenLogprob } from "../engine/types.js";

/**
 * The Responses API's response object, output items and stream events, shaped as OpenAI sends them and valid
 * against its published schema (`Response`, `ResponseStreamEvent`): required fields always present, `null` where
 * the schema allows it and nothing applies.
 */

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** A token of `output_text.logprobs`. */
export interface OutputLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

/** A token of a streamed delta's `logprobs` (the stream's shape has no bytes). */
export interface DeltaLogprob {
  token: string;
  logprob: number;
  top_logprobs: Array<{ token: string; logprob: number }>;
}

export interface OutputText {
  type: "output_text";
  text: string;
  annotations: [];
  logprobs: OutputLogprob[];
}

export type ItemStatus = "in_progress" | "completed" | "incomplete";

export interface MessageItem {
  id: string;
  type: "message";
  status: ItemStatus;
  role: "assistant";
  content: OutputText[];
}

export interface FunctionCallItem {
  id: string;
  type: "function_call";
  status: ItemStatus;
  call_id: string;
  name: string;
  arguments: string;
}

export type OutputItem = MessageItem | FunctionCallItem;

/** What the response says of the request it answers (OpenAI echoes its settings, defaults filled in). */
export interface ResponseSettings {
  model: string;
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  temperature: number;
  top_p: number;
  top_logprobs: number;
  tool_choice: "none" | "auto" | "required" | { type: "function"; name: string };
  tools: Array<{ type: "function"; name: string; description: string | null; parameters: Record<string, unknown> | null; strict: boolean }>;
  text: { format: { type: "text" } | { type: "json_object" } | { type: "json_schema"; name: string; schema: Record<string, unknown>; strict: boolean; description?: string } };
  user?: string;
}

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export interface ResponseObject extends ResponseSettings {
  id: string;
  object: "response";
  created_at: number;
  completed_at: number | null;
  status: ResponseStatus;
  error: { code: ResponseErrorCode; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  output: OutputItem[];
  usage?: ResponseUsage;
  previous_response_id: null;
  reasoning: null;
  store: false;
  background: false;
  truncation: "disabled";
  service_tier: "default";
}

/** The codes OpenAI's schema allows in a failed response's `error`: ours map to the nearest. */
export type ResponseErrorCode = "server_error" | "rate_limit_exceeded" | "invalid_prompt";

type Numbered<T> = T & { sequence_number: number };
type Located = { item_id: string; output_index: number };
/** One event type per name (so that `Extract` finds each by its `type`). */
type Each<Name extends string, Body> = { [N in Name]: { type: N } & Body }[Name];

/** A stream's events, in OpenAI's names; each carries its place in the stream (`sequence_number`). */
export type ResponseStreamEvent = Numbered<
  | Each<"response.created" | "response.in_progress" | "response.completed" | "response.incomplete" | "response.failed", { response: ResponseObject }>
  | Each<"response.output_item.added" | "response.output_item.done", { output_index: number; item: OutputItem }>
  | Each<"response.content_part.added" | "response.content_part.done", Located & { content_index: number; part: OutputText }>
  | (Located & { type: "response.output_text.delta"; content_index: number; delta: string; logprobs: DeltaLogprob[] })
  | (Located & { type: "response.output_text.done"; content_index: number; text: string; logprobs: DeltaLogprob[] })
  | (Located & { type: "response.function_call_arguments.delta"; delta: string })
  | (Located & { type: "response.function_call_arguments.done"; name: string; arguments: string })
  | { type: "error"; code: string | null; message: string; param: string | null }
>;

/** OpenAI's form of the ids of responses (`resp_`), messages (`msg_`) and function call items (`fc_`): 48 hex digits. */
export function objectId(prefix: "resp" | "msg" | "fc"): string {
  return `${prefix}_${randomBytes(24).toString("hex")}`;
}

export function toResponseUsage(usage: GenerationUsage): ResponseUsage {
  return {
    input_tokens: usage.promptTokens,
    // the prompt's tokens found in a slot or the prompt cache; writing them there costs nothing extra
    input_tokens_details: { cached_tokens: usage.cachedTokens, cache_write_tokens: 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/** Generated tokens' logprobs as `output_text.logprobs` (a generated token always has one). */
export function toOutputLogprobs(tokens: readonly TokenLogprob[]): OutputLogprob[] {
  return tokens.map((t) => ({
    token: t.text,
    logprob: t.logprob ?? 0,
    bytes: t.bytes,
    top_logprobs: t.top.map((alternative) => ({ token: alternative.text, logprob: alternative.logprob, bytes: alternative.bytes })),
  }));
}

/** The same tokens as a streamed delta's `logprobs`. */
export function toDeltaLogprobs(tokens: readonly TokenLogprob[]): DeltaLogprob[] {
  return tokens.map((t) => ({ token: t.text, logprob: t.logprob ?? 0, top_logprobs: t.top.map((alternative) => ({ token: alternative.text, logprob: alternative.logprob })) }));
}
