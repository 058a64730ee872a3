/**
 * A rate limit as a bucket that refills continuously: `capacity` units per `windowMs`, full at the start. This is
 * the model behind OpenAI's headers (the reset time is when the bucket is full again). Pure: the caller passes the
 * clock. Our own code rather than a library: the server needs exact reservations settled afterwards, which the
 * rate-limit packages (counting whole requests) do not model.
 */
export class TokenBucket {
  private level: number;
  private at: number;

  constructor(
    readonly capacity: number,
    private readonly windowMs: number,
    now: number,
  ) {
    this.level = capacity;
    this.at = now;
  }

  /** Whole units available at `now` (0 while the bucket is in debt). */
  available(now: number): number {
    this.refill(now);
    return Math.max(0, Math.floor(this.level));
  }

  /** Takes `amount` when it is available and returns 0; otherwise takes nothing and returns the ms to wait for it. */
  take(now: number, amount: number): number {
    this.refill(now);
    // the refill is fractional: a wait computed to the millisecond must not fall short by a rounding error
    if (amount <= this.level + 1e-9) {
      this.level -= amount;
      return 0;
    }
    return amount > this.capacity ? Infinity : Math.ceil(((amount - this.level) * this.windowMs) / this.capacity);
  }

  /** Gives back (`delta` > 0, never above capacity) or takes without asking (`delta` < 0, possibly into debt). */
  adjust(now: number, delta: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level + delta);
  }

  /** Ms until the bucket is full again. */
  resetMs(now: number): number {
    this.refill(now);
    return Math.ceil(((this.capacity - this.level) * this.windowMs) / this.capacity);
  }

  private refill(now: number): void {
    this.level = Math.min(this.capacity, this.level + ((now - this.at) * this.capacity) / this.windowMs);
    this.at = now;
  }
}
