import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { httpExchange } from "./httpExchange.js";

const HERMES_BIN = fileURLToPath(new URL("../../../bin/hermes.cjs", import.meta.url));

/** The part of /health the scenarios read. */
export interface Health {
  status: string;
  slots: { busy: number };
  queued: number;
  counters: { generatedTokens: number };
}

/**
 * `hermes serve` as a child process on 127.0.0.1, as a user runs it, watched from outside: its pid (for its RSS),
 * its exit, and a /health that never waits long. Unlike the bench's ServerProcess it expects the server to die.
 */
export class StressServer {
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;
  /** The server's output, kept for a report when it dies. */
  output = "";

  private constructor(
    private readonly child: ChildProcess,
    /** http://127.0.0.1:PORT */
    readonly origin: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      }),
    );
  }

  /** Starts `hermes serve --host 127.0.0.1 --port 0 ...args` and resolves once it listens (or rejects within `timeoutMs`). */
  static async start(args: readonly string[], timeoutMs = 60_000): Promise<StressServer> {
    const child = spawn(process.execPath, [HERMES_BIN, "serve", "--host", "127.0.0.1", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const origin = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`hermes serve did not start within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const onData = (data: Buffer): void => {
        output += data.toString();
        const match = /ready at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`hermes serve exited with ${code}:\n${output}`));
      });
    });
    const server = new StressServer(child, origin);
    server.output = output;
    const keep = (data: Buffer): void => {
      // the tail is what explains a death; the head is the start-up banner
      server.output = (server.output + data.toString()).slice(-20_000);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** How the process ended: its exit code, or the signal that killed it. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitCode === undefined ? undefined : { code: this.exitCode, signal: this.exitSignal };
  }

  /** Resident memory in KiB, from /proc/PID/status (Linux); undefined once the process is gone. */
  rssKiB(): number | undefined {
    try {
      const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
      return match ? Number(match[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** /health, or undefined when it gives no 200 JSON within `timeoutMs` (dead, stalled, draining). */
  async health(timeoutMs = 2_000): Promise<Health | undefined> {
    const exchange = await httpExchange({ method: "GET", url: `${this.origin}/health`, headers: {}, timeoutMs });
    if (exchange.status !== 200) return undefined;
    try {
      return JSON.parse(exchange.body.toString("utf8")) as Health;
    } catch {
      return undefined;
    }
  }

  /** Polls /health until `done` holds or `timeoutMs` passes; the last document read (undefined if none). */
  async waitForHealth(done: (health: Health) => boolean, timeoutMs: number): Promise<{ met: boolean; health?: Health; ms: number }> {
    const start = performance.now();
    let last: Health | undefined;
    while (performance.now() - start < timeoutMs) {
      last = (await this.health(Math.min(2_000, timeoutMs))) ?? last;
      if (last && done(last)) return { met: true, health: last, ms: performance.now() - start };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { met: false, ...(last ? { health: last } : {}), ms: performance.now() - start };
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Resolves true when the process exits within `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
    clearTimeout(timer);
    return exited;
  }

  /** Ends the process for good: SIGKILL, since a stalled server may not act on SIGTERM. */
  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.waitForExit(10_000);
  }
}
