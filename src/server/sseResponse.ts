import type { ApiError } from "../errors/ApiError.js";
import { toApiError } from "./toApiError.js";

const encoder = new TextEncoder();

/** How an API writes its stream: each chunk's event, a failure after the headers, and the event that ends it (if any). */
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
 * A `text/event-stream` response: one event per chunk, a failure after the headers as an error event, and the
 * dialect's end event last (OpenAI's by default: `data: {json}`, `data: {"error": ...}`, `data: [DONE]`). The first
 * chunk is pulled before the response exists, so a request that fails before producing anything gets a plain error
 * status instead. Chunks are taken from the source as fast as the client reads them; a client that goes away cancels
 * the source.
 */
export async function sseResponse(chunks: AsyncIterable<unknown>, dialect: SseDialect = OPENAI_SSE): Promise<Response> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  let pending: IteratorResult<unknown> | undefined = first;
  let finished = false;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (finished) return;
      let data: string | undefined;
      try {
        const result = pending ?? (await iterator.next());
        pending = undefined;
        if (!result.done) data = dialect.event(result.value);
      } catch (error) {
        data = dialect.error(toApiError(error));
        finished = true;
      }
      if (cancelled) return; // the client left while this chunk was being made
      if (data !== undefined) controller.enqueue(encoder.encode(data));
      if (data !== undefined && !finished) return;
      finished = true;
      if (dialect.end !== undefined) controller.enqueue(encoder.encode(dialect.end));
      controller.close();
    },
    async cancel() {
      cancelled = true;
      finished = true;
      await iterator.return?.();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive" },
  });
}
