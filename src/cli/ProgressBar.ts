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

  /** `fraction` in 0..1; `detail` is shown after the percentage. */
  update(fraction: number, detail = ""): void {
    const f = Math.min(1, Math.max(0, fraction));
    const percent = Math.floor(f * 100);
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = f > 0 && f < 1 ? ` eta ${Math.ceil((elapsed / f) * (1 - f))}s` : "";
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
