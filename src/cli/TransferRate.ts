/**
 * The rate and time left of a transfer from its progress samples. The rate counts only this run's bytes: a resumed
 * download starts with what an earlier run fetched, which must not read as a burst of speed.
 */
export class TransferRate {
  private start: { at: number; done: number } | undefined;

  /** Bytes per second since the first sample, and seconds left at that rate (undefined until both are known). */
  sample(done: number, total: number, at = Date.now()): { bytesPerSecond?: number; secondsLeft?: number } {
    if (!this.start || done < this.start.done) this.start = { at, done };
    const seconds = (at - this.start.at) / 1000;
    const bytes = done - this.start.done;
    if (seconds <= 0 || bytes <= 0) return {};
    const bytesPerSecond = bytes / seconds;
    return { bytesPerSecond, secondsLeft: Math.max(0, (total - done) / bytesPerSecond) };
  }
}
