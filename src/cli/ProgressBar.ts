/**
 * A one-line progress display on stderr: redrawn in place on a terminal, printed every 10% otherwise (logs and
 * CI output stay readable).
 */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDecile = -1;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  /**
   * `fraction` in 0..1; `detail` is shown after the percentage. The time left is `secondsLeft` when given (a resumed
   * download knows it better; null: not known yet, none shown), else extrapolated from the time since the bar started.
   */
  update(fraction: number, detail = "", secondsLeft?: number | null): void {
    const f = Math.min(1, Math.max(0, fraction));
    const percent = Math.floor(f * 100);
    const elapsed = (Date.now() - this.started) / 1000;
    const left = secondsLeft === undefined ? (f > 0 ? (elapsed / f) * (1 - f) : undefined) : secondsLeft;
    const eta = left !== undefined && left !== null && f < 1 ? ` eta ${Math.ceil(left)}s` : "";
    if (this.tty) {
      const width = 30;
      const filled = Math.round(f * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      this.stream.write(`\r${this.label} ${bar} ${String(percent).padStart(3)}%${detail ? ` ${detail}` : ""}${eta}\x1b[K`);
      return;
    }
    const decile = Math.floor(percent / 10);
    if (decile === this.lastDecile) return;
    this.lastDecile = decile;
    this.stream.write(`${this.label} ${percent}%${detail ? ` ${detail}` : ""}${eta}\n`);
  }

  done(message: string): void {
    this.stream.write(`${this.tty ? "\r\x1b[K" : ""}${message}\n`);
  }
}
