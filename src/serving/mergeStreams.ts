/** Interleaves several async iterables, yielding each value as soon as its source produces it. */
export async function* mergeStreams<T>(sources: ReadonlyArray<AsyncIterable<T>>): AsyncGenerator<T, void, void> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number): void => {
    const iterator = iterators[index];
    if (!iterator) return;
    const next = iterator.next().then((result) => ({ index, result }));
    next.catch(() => undefined); // a failure surfaces through the race; never as an unhandled rejection
    pending.set(index, next);
  };
  iterators.forEach((_, index) => pull(index));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
      } else {
        pull(index);
        yield result.value;
      }
    }
  } finally {
    // stop the sources still running (consumer gone, or one source failed)
    await Promise.allSettled([...pending.keys()].map((index) => iterators[index]?.return?.()));
  }
}
