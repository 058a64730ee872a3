import { streamedResponse, type StreamFraming } from "./streamedResponse.js";

const SSE: StreamFraming = {
  contentType: "text/event-stream; charset=utf-8",
  chunk: (value) => `data: ${JSON.stringify(value)}\n\n`,
  error: (error) => `data: ${JSON.stringify(error.toJSON())}\n\n`,
  end: "data: [DONE]\n\n",
};

/**
 * A `text/event-stream` response (`streamedResponse`): one `data: {json}` event per chunk, a failure after the
 * headers as a `data: {"error": ...}` event, and always `data: [DONE]` last.
 */
export function sseResponse(chunks: AsyncIterable<unknown>): Promise<Response> {
  return streamedResponse(chunks, SSE);
}
