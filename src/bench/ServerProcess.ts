import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ThreadsInfo } from "../engine/ThreadsInfo.js";
import type { StreamOptions } from "./streamRequest.js";
import type { ServingTarget } from "./ServingTarget.js";

const HERMES_BIN = fileURLToPath(new URL("../../../bin/hermes.cjs", import.meta.url));

/** `hermes serve` as a child process, as a user runs it: the benchmark measures it over HTTP from outside. */
export class ServerProcess implements ServingTarget {
  readonly requestOptions: StreamOptions = {};

  private constructor(
    private readonly child: ChildProcess,
    /** Base URL of the API, e.g. http://127.0.0.1:PORT/v1 */
    readonly apiUrl: string,
    /** The id the server lists for its model. */
    readonly modelId: string,
  ) {}

  static async start(args: readonly string[]): Promise<ServerProcess> {
    const child = spawn(process.execPath, [HERMES_BIN, "serve", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const apiUrl = await new Promise<string>((resolve, reject) => {
      const onData = (data: Buffer): void => {
        output += data.toString();
        const match = /ready at (http:\/\/\S+\/v1)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`hermes serve exited with ${code}:\n${output}`)));
    });
    const models = (await (await fetch(`${apiUrl}/models`)).json()) as { data: Array<{ id: string }> };
    return new ServerProcess(child, apiUrl, models.data[0]!.id);
  }

  /** The server's /health document. */
  async health(): Promise<{ counters: Record<string, number>; threads: ThreadsInfo; kvCache: { bytesPerSlot: number } }> {
    const response = await fetch(new URL("/health", this.apiUrl));
    return (await response.json()) as { counters: Record<string, number>; threads: ThreadsInfo; kvCache: { bytesPerSlot: number } };
  }

  async counters(): Promise<Record<string, number>> {
    return (await this.health()).counters;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}
