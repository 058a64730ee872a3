/**
 * Makes the active generations step together, so that node-llama-cpp puts all their next tokens in one decode
 * batch. Without it two generators alternate (batches of 1-0-1-0: see docs/architecture.md).
 * Each generation joins when it starts sampling, arrives after every token, and leaves when it ends.
 */
export class StepBarrier {
  private active = 0;
  private arrived = 0;
  private waiters: Array<() => void> = [];

  join(): void {
    this.active++;
  }

  leave(): void {
    this.active--;
    this.release();
  }

  /** Resolves once every active generation has arrived. */
  arrive(): Promise<void> {
    this.arrived++;
    const wait = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.release();
    return wait;
  }

  private release(): void {
    if (this.arrived === 0 || this.arrived < this.active) return;
    const waiters = this.waiters;
    this.waiters = [];
    this.arrived = 0;
    for (const resolve of waiters) resolve();
  }
}
