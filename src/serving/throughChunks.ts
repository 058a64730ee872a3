/** Whether a service's result streams: it carries its `chunks`. */
export function isStreamed(value: unknown): value is { chunks: AsyncIterable<unknown> } {
  return typeof value === "object" && value !== null && "chunks" in value;
}

/** A streamed result whose chunks are read through `through` (which also sees how the stream ends). */
export function throughChunks<R extends { chunks: AsyncIterable<unknown> }>(value: R, through: (chunks: AsyncIterable<unknown>) => AsyncIterable<unknown>): R {
  return { ...value, chunks: through(value.chunks) };
}
