import type { ApiError } from "../errors/ApiError.js";
import { toApiError } from "./toApiError.js";

/** How a streaming dialect writes its chunks on the wire: SSE, NDJSON, ... */
export interface StreamFraming {
  contentType: string;
  /** One chunk's text. */
  chunk(value: unknown): string;
  /** A failure after the headers, in the dialect's error shape. */
  error(error: ApiError): string;
  /** What ends every stream, a failed one too (SSE's `data: [DONE]`); nothing when undefined. */
  end?: string;
}

const encoder = new TextEncoder();

/**
 * A streamed response, framed as `framing` says: one frame per chunk, a failure after the headers as the dialect's
 * error frame, then the end frame. The first chunk is pulled before the response exists, so a request that fails
 * before producing anything gets a plain error status instead. Chunks are taken from the source as fast as the
 * client reads them; a client that goes away cancels the source.
 */
export async function streamedResponse(chunks: AsyncIterable<unknown>, framing: StreamFraming): Promise<Response> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  let pending: IteratorResult<unknown> | undefined = first;
  let finished = false;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (finished) return;
      let frame: string | undefined;
      try {
        const result = pending ?? (await iterator.next());
        pending = undefined;
        if (!result.done) frame = framing.chunk(result.value);
      } catch (error) {
        frame = framing.error(toApiError(error));
        finished = true;
      }
      if (cancelled) return; // the client left while this chunk was being made
      if (frame !== undefined) controller.enqueue(encoder.encode(frame));
      if (frame !== undefined && !finished) return;
      finished = true;
      if (framing.end !== undefined) controller.enqueue(encoder.encode(framing.end));
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
    headers: { "Content-Type": framing.contentType, "Cache-Control": "no-cache", Connection: "keep-alive" },
  });
}
