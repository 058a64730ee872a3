import { toApiError } from "./toApiError.js";

const encoder = new TextEncoder();

function event(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\n\n`);
}

/**
 * A `text/event-stream` response: one `data: {json}` event per chunk, a failure after the headers as a
 * `data: {"error": ...}` event, and always `data: [DONE]` last. The first chunk is pulled before the response
 * exists, so a request that fails before producing anything gets a plain error status instead.
 * Chunks are taken from the source as fast as the client reads them; a client that goes away cancels the source.
 */
export async function sseResponse(chunks: AsyncIterable<unknown>): Promise<Response> {
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
        if (!result.done) data = JSON.stringify(result.value);
      } catch (error) {
        data = JSON.stringify(toApiError(error).toJSON());
        finished = true;
      }
      if (cancelled) return; // the client left while this chunk was being made
      if (data !== undefined) controller.enqueue(event(data));
      if (data !== undefined && !finished) return;
      finished = true;
      controller.enqueue(event("[DONE]"));
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
