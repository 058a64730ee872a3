/**
 * A one-consumer async queue: the producer pushes without ever waiting, the consumer iterates at its own pace.
 * It decouples the decode loop from how fast each client reads (what it holds is bounded by the request's
 * completion budget); how far behind the consumer is (`backlog`) tells the scheduler when a client stopped reading.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  /** Items pushed and not yet read: how far the consumer is behind. */
  get backlog(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.notify();
  }

  close(): void {
    this.ended = true;
    this.notify();
  }

  /** Ends the channel with `error`, thrown to the consumer once it has read what came before. */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.close();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, void> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
