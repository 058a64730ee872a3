import { AbortedError, QueueFullError, type EngineError } from "./engineErrors.js";

export interface QueueLimits {
  /** Requests that may wait for a slot; one more is refused at once. */
  maxQueue: number;
  /** How long a request may wait for a slot (ms); 0 = no limit. */
  queueTimeoutMs: number;
}

/** A request: its jobs still waiting, and whether one has a slot (or an idle slot is promised to it). */
interface Request<T> {
  waiting: T[];
  /** Jobs of it admitted to a slot so far. */
  admitted: number;
  /** A job of it has a slot, or an idle slot was free for it when it arrived. */
  started: boolean;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The FIFO of jobs waiting for a slot, bounded in requests. A request is one job or several (the choices of one
 * API request), pushed together and accepted or refused as a whole before any of them runs. Only a request none
 * of whose jobs has a slot counts against `maxQueue`: one that arrives while a slot is idle and not claimed by an
 * earlier waiting job (`freeSlots`), or whose first job has been admitted, never does, though its other jobs wait
 * here for slots. A request that finds the bound reached is refused at once; one that waits longer than the queue
 * timeout before any of its jobs is admitted, or whose signal aborts, leaves with all its waiting jobs, each
 * handed to `onDropped` with the error to end it with.
 */
export class AdmissionQueue<T> {
  private readonly entries: Array<{ item: T; request: Request<T> }> = [];
  private readonly requests = new Set<Request<T>>();

  constructor(
    private readonly limits: QueueLimits,
    private readonly onDropped: (item: T, error: EngineError) => void,
  ) {}

  /** Jobs waiting. */
  get length(): number {
    return this.entries.length;
  }

  /** Requests waiting of which no job has (or was promised) a slot: what `maxQueue` bounds. */
  get waitingRequests(): number {
    let count = 0;
    for (const request of this.requests) if (!request.started) count++;
    return count;
  }

  /**
   * Appends a request's jobs; throws QueueFullError when the request would wait and the bound is reached, or the
   * abort error when `signal` has already fired. `freeSlots`: idle slots not claimed by jobs already waiting.
   */
  push(items: readonly T[], signal?: AbortSignal, freeSlots = 0): void {
    if (signal?.aborted) throw AbortedError.of(signal);
    const started = freeSlots > 0;
    if (!started && this.waitingRequests >= this.limits.maxQueue) {
      throw new QueueFullError(`The server is busy: ${this.waitingRequests} requests are already waiting. Retry later.`);
    }
    const request: Request<T> = {
      waiting: [...items],
      admitted: 0,
      started,
      signal,
      onAbort: () => this.drop(request, AbortedError.of(signal)),
      timer: undefined,
    };
    const timeoutMs = this.limits.queueTimeoutMs;
    if (!started && timeoutMs > 0) {
      request.timer = setTimeout(() => this.drop(request, new QueueFullError(`No slot became free within ${timeoutMs} ms. Retry later.`)), timeoutMs);
    }
    signal?.addEventListener("abort", request.onAbort, { once: true });
    this.requests.add(request);
    for (const item of items) this.entries.push({ item, request });
  }

  /** The job that has waited longest among those `admissible` now, leaving the queue. */
  take(admissible: (item: T) => boolean = () => true): T | undefined {
    const index = this.entries.findIndex((entry) => admissible(entry.item));
    if (index < 0) return undefined;
    const [{ item, request }] = this.entries.splice(index, 1) as [{ item: T; request: Request<T> }];
    request.waiting.splice(request.waiting.indexOf(item), 1);
    request.admitted++;
    request.started = true;
    clearTimeout(request.timer);
    if (request.waiting.length === 0) this.forget(request);
    return item;
  }

  /** Ends every waiting job with `error`; `all` false: only those of requests none of whose jobs runs yet. */
  dropWaiting(error: EngineError, all: boolean): void {
    for (const request of [...this.requests]) {
      if (all || request.admitted === 0) this.drop(request, error);
    }
  }

  private drop(request: Request<T>, error: EngineError): void {
    if (!this.requests.has(request)) return;
    this.forget(request);
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.request === request) this.entries.splice(i, 1);
    for (const item of request.waiting.splice(0)) this.onDropped(item, error);
  }

  private forget(request: Request<T>): void {
    this.requests.delete(request);
    request.signal?.removeEventListener("abort", request.onAbort);
    clearTimeout(request.timer);
  }
}
