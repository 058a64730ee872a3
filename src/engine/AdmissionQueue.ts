import { abortError, ServerOverloadedError, type ApiError } from "../errors/ApiError.js";

export interface QueueLimits {
  /** Requests that may wait for a slot; one more is refused at once. */
  maxQueue: number;
  /** How long a request may wait for a slot (ms); 0 = no limit. */
  queueTimeoutMs: number;
}

/** Seconds a refused client is told to wait before it retries. */
const RETRY_AFTER_SECONDS = 1;

interface Entry<T> {
  item: T;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The bounded FIFO of requests waiting for a slot. A request that finds it full is refused at once with a 503; one
 * that waits longer than the queue timeout, or whose signal aborts, leaves it and is handed to `onDropped` with the
 * error to answer it with.
 */
export class AdmissionQueue<T> {
  private readonly entries: Entry<T>[] = [];

  constructor(
    private readonly limits: QueueLimits,
    private readonly onDropped: (item: T, error: ApiError) => void,
  ) {}

  get length(): number {
    return this.entries.length;
  }

  /** Appends `item`; throws the 503 when the queue is full, or the abort error when `signal` has already fired. */
  push(item: T, signal?: AbortSignal): void {
    if (signal?.aborted) throw abortError(signal);
    if (this.entries.length >= this.limits.maxQueue) {
      throw new ServerOverloadedError(
        `The server is busy: ${this.entries.length} requests are already waiting. Retry later.`,
        RETRY_AFTER_SECONDS,
      );
    }
    const drop = (error: ApiError): void => {
      const index = this.entries.indexOf(entry);
      if (index < 0) return;
      this.entries.splice(index, 1);
      this.forget(entry);
      this.onDropped(item, error);
    };
    const entry: Entry<T> = {
      item,
      signal,
      onAbort: () => drop(abortError(signal)),
      timer:
        this.limits.queueTimeoutMs > 0
          ? setTimeout(
              () =>
                drop(
                  new ServerOverloadedError(
                    `No slot became free within ${this.limits.queueTimeoutMs} ms. Retry later.`,
                    RETRY_AFTER_SECONDS,
                  ),
                ),
              this.limits.queueTimeoutMs,
            )
          : undefined,
    };
    signal?.addEventListener("abort", entry.onAbort, { once: true });
    this.entries.push(entry);
  }

  /** The request that has waited longest, now leaving the queue. */
  shift(): T | undefined {
    const entry = this.entries.shift();
    if (entry === undefined) return undefined;
    this.forget(entry);
    return entry.item;
  }

  private forget(entry: Entry<T>): void {
    entry.signal?.removeEventListener("abort", entry.onAbort);
    clearTimeout(entry.timer);
  }
}
