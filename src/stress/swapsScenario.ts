import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { synthesizeLlamaModel } from "../gguf/synthesizeLlamaModel.js";
import { httpExchange } from "./httpExchange.js";
import { StressServer } from "./StressServer.js";

export interface SwapsResult {
  /** Cycles run: load the second model (unloading the first), a request to it, the same back. */
  cycles: number;
  /** Loads and requests that did not answer 200. */
  failures: number;
  /** The server's RSS after each cycle (KiB). */
  rssKiB: number[];
  /** ms of each load asked for, as `/models/load` answered. */
  loadMs: number[];
}

/** Two generated models of the demo's shape, each with its own name. */
function swapModels(): [string, string] {
  const dir = join(os.tmpdir(), "hermes-serve-stress-swaps");
  mkdirSync(dir, { recursive: true });
  const paths = ["swap-a", "swap-b"].map((name, i) => {
    const path = join(dir, `${name}.gguf`);
    if (!existsSync(path)) synthesizeLlamaModel({ shape: "tiny", type: "f32", out: path, seed: i + 1, name });
    return path;
  });
  return [paths[0]!, paths[1]!];
}

/**
 * Loading and unloading models over and over, as a server of several models does all day: a server of two models
 * with `--models-max 1` is made to swap them `cycles` times through `/models/load`, with a request to each after its
 * load, and its RSS is read after each cycle. Memory that a load leaves behind shows as growth.
 */
export async function swapsScenario(options: { cycles: number; key: string; onProgress?: (cycle: number) => void }): Promise<SwapsResult> {
  const [a, b] = swapModels();
  const server = await StressServer.start(["--model", a, "--model", b, "--models-max", "1", "--threads", "1", "--parallel", "1", "--ctx-size", "256", "--api-key", options.key]);
  const result: SwapsResult = { cycles: options.cycles, failures: 0, rssKiB: [], loadMs: [] };
  const post = async (path: string, body: unknown): Promise<boolean> => {
    const exchange = await httpExchange({
      method: "POST",
      url: `${server.origin}${path}`,
      headers: { authorization: `Bearer ${options.key}`, "content-type": "application/json" },
      body: Buffer.from(JSON.stringify(body)),
      timeoutMs: 60_000,
    });
    if (exchange.outcome !== "answered" || exchange.status !== 200) result.failures += 1;
    if (path === "/models/load") result.loadMs.push(exchange.totalMs);
    return exchange.status === 200;
  };
  try {
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      for (const model of ["swap-b", "swap-a"]) {
        await post("/models/load", { model });
        await post("/v1/completions", { model, prompt: "Once upon a time", max_tokens: 8 });
      }
      const rss = server.rssKiB();
      if (rss !== undefined) result.rssKiB.push(rss);
      options.onProgress?.(cycle);
    }
  } finally {
    await server.kill();
  }
  return result;
}
