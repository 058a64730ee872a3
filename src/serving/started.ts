/**
 * Starts `source` and waits for its first value, so that a failure to start (no slot free, queue full, prompt
 * rejected) is thrown here, before the caller has produced any output of its own; then yields every value, the
 * first included, and stops the source if its consumer stops early.
 */
export async function started<T>(source: AsyncIterable<T>): Promise<AsyncGenerator<T, void, void>> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  return (async function* () {
    try {
      for (let result = first; !result.done; result = await iterator.next()) yield result.value;
    } finally {
      await iterator.return?.();
    }
  })();
}
