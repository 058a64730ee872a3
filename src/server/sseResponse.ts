import type { ApiError } from "../errors/ApiError.js";
import { streamedResponse } from "./streamedResponse.js";

/** How an API writes its SSE stream: each chunk's event, a failure after the headers, and the event that ends it (if any). */
export interface SseDialect {
  event(chunk: unknown): string;
  error(error: ApiError): string;
  end?: string;
}

/** OpenAI's: `data: {json}` per chunk, the error envelope as a data event, `data: [DONE]` last. */
export const OPENAI_SSE: SseDialect = {
  event: (chunk) => `data: ${JSON.stringify(chunk)}\n\n`,
  error: (error) => `data: ${JSON.stringify(error.toJSON())}\n\n`,
  end: "data: [DONE]\n\n",
};

/**
 * A `text/event-stream` response (`streamedResponse`): one event per chunk, a failure after the headers as an error
 * event, and the dialect's end event last (OpenAI's by default: `data: {json}`, `data: {"error": ...}`, `data: [DONE]`).
 */
export function sseResponse(chunks: AsyncIterable<unknown>, dialect: SseDialect = OPENAI_SSE): Promise<Response> {
  return streamedResponse(chunks, {
    contentType: "text/event-stream; charset=utf-8",
    chunk: (value) => dialect.event(value),
    error: (error) => dialect.error(error),
    ...(dialect.end !== undefined ? { end: dialect.end } : {}),
  });
}
