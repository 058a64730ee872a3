import { RequestAbortedError, ServerOverloadedError } from "../errors/ApiError.js";

export interface Slot<S> {
  readonly id: number;
  readonly sequence: S;
  busy: boolean;
  lastUsed: number;
}

interface Waiter<S> {
  prompt: readonly number[];
  resolve: (slot: Slot<S>) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  timer: NodeJS.Timeout | undefined;
}

export interface QueueLimits {
  /** Requests that may wait for a slot; one more is refused at once. */
  maxQueue: number;
  /** How long a request may wait for a slot (ms); 0 = no limit. */
  queueTimeoutMs: number;
}

/** Seconds a refused client is told to wait before it retries. */
const RETRY_AFTER_SECONDS = 1;

/** Length of the common prefix of two token lists. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * The engine's slots (one context sequence each) and the FIFO of requests waiting for one. A request gets the
 * idle slot whose cached tokens share the longest prefix with its prompt (ties: least recently used).
 */
export class SlotPool<S> {
  private readonly slots: Slot<S>[];
  private readonly waiting: Waiter<S>[] = [];
  private clock = 0;

  constructor(
    sequences: readonly S[],
    private readonly cachedTokens: (sequence: S) => readonly number[],
    private readonly limits: QueueLimits = { maxQueue: Infinity, queueTimeoutMs: 0 },
  ) {
    this.slots = sequences.map((sequence, id) => ({ id, sequence, busy: false, lastUsed: 0 }));
  }

  get size(): number {
    return this.slots.length;
  }

  get busy(): number {
    return this.slots.filter((slot) => slot.busy).length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Waits for a slot in arrival order. Rejects with RequestAbortedError if `signal` aborts first, and with a 503
   * at once when the queue is full, or once the wait exceeds the queue timeout.
   */
  acquire(prompt: readonly number[], signal?: AbortSignal): Promise<Slot<S>> {
    if (signal?.aborted) return Promise.reject(new RequestAbortedError());
    if (this.waiting.length === 0) {
      const slot = this.pick(prompt);
      if (slot) return Promise.resolve(this.take(slot));
    }
    if (this.waiting.length >= this.limits.maxQueue) {
      return Promise.reject(
        new ServerOverloadedError(`The server is busy: ${this.waiting.length} requests are already waiting. Retry later.`, RETRY_AFTER_SECONDS),
      );
    }
    return new Promise((resolve, reject) => {
      const leave = (error: Error): void => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        this.forget(waiter);
        reject(error);
      };
      const waiter: Waiter<S> = {
        prompt,
        resolve,
        reject,
        signal,
        onAbort: () => leave(new RequestAbortedError()),
        timer:
          this.limits.queueTimeoutMs > 0
            ? setTimeout(
                () => leave(new ServerOverloadedError(`No slot became free within ${this.limits.queueTimeoutMs} ms. Retry later.`, RETRY_AFTER_SECONDS)),
                this.limits.queueTimeoutMs,
              )
            : undefined,
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  release(slot: Slot<S>): void {
    slot.busy = false;
    const next = this.waiting.shift();
    if (!next) return;
    this.forget(next);
    next.resolve(this.take(this.pick(next.prompt) ?? slot));
  }

  private forget(waiter: Waiter<S>): void {
    waiter.signal?.removeEventListener("abort", waiter.onAbort);
    clearTimeout(waiter.timer);
  }

  private take(slot: Slot<S>): Slot<S> {
    slot.busy = true;
    slot.lastUsed = ++this.clock;
    return slot;
  }

  private pick(prompt: readonly number[]): Slot<S> | undefined {
    let best: Slot<S> | undefined;
    let bestShared = -1;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const shared = commonPrefixLength(this.cachedTokens(slot.sequence), prompt);
      if (shared > bestShared || (shared === bestShared && best !== undefined && slot.lastUsed < best.lastUsed)) {
        best = slot;
        bestShared = shared;
      }
    }
    return best;
  }
}
