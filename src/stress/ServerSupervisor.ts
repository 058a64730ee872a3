import { StressServer } from "./StressServer.js";

/** A death or stall of the server, and what was done about it. */
export interface ServerRestart {
  reason: string;
  /** How the old process ended, when it ended by itself. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** The old process's last output lines (an out-of-memory message, a stack trace). */
  outputTail: string;
}

/** Keeps one `hermes serve` running for the scenarios: checks it after a failed exchange and restarts it when it is dead or stalled. */
export class ServerSupervisor {
  readonly restarts: ServerRestart[] = [];

  private constructor(
    readonly args: readonly string[],
    public server: StressServer,
  ) {}

  static async start(args: readonly string[]): Promise<ServerSupervisor> {
    return new ServerSupervisor(args, await StressServer.start(args));
  }

  get origin(): string {
    return this.server.origin;
  }

  /**
   * After an exchange failed (reset, timeout, refused): "healthy" when /health answers and the slots and queue
   * empty within `settleMs`; otherwise the server is killed and started again, and the reason recorded.
   */
  async recover(settleMs = 15_000): Promise<{ restarted: false } | { restarted: true; restart: ServerRestart }> {
    let reason: string | undefined;
    if (!this.server.alive) reason = "the process died";
    else if (!(await this.server.health(2_000))) reason = "/health gave no answer within 2 s (stalled)";
    else if (!(await this.server.waitForHealth((h) => h.slots.busy === 0 && h.queued === 0, settleMs)).met) reason = `slots or queue still busy ${settleMs / 1000} s later`;
    if (reason === undefined) return { restarted: false };
    await this.server.kill();
    const exit = this.server.exit;
    const restart: ServerRestart = { reason, ...(exit && exit.signal !== "SIGKILL" ? { exit } : {}), outputTail: this.server.output.split("\n").slice(-15).join("\n") };
    this.restarts.push(restart);
    this.server = await StressServer.start(this.args);
    return { restarted: true, restart };
  }

  async stop(): Promise<void> {
    await this.server.kill();
  }
}
