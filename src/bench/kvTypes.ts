import { kvCacheTypes, type KvCacheType } from "../engine/kvCacheLayout.js";
import { decodeRate } from "./decodeRate.js";
import { ServerProcess } from "./ServerProcess.js";
import { streamRequest } from "./streamRequest.js";

/** One KV cache type (for K and V both), measured, or the reason the model cannot use it. */
export type KvTypeResult =
  | { type: KvCacheType; bytesPerSlot: number; /** Single-stream decode tokens/s, one per round. */ decode: number[] }
  | { type: KvCacheType; skipped: string };

const NO_EOS = { "2": -100 };
/** The KV cache the measured tokens attend to: a 300-token-ish prompt (cached after the first round). */
const PROMPT = `Once upon a time, ${"the river carried a small boat past the old mill while the children watched from the bridge, and ".repeat(14)}then`;

/**
 * The KV types: `hermes serve --cache-type-k T --cache-type-v T --flash-attn on` (a quantized V needs flash
 * attention; f16 gets it too, so that only the type differs) for each type, with the given thread counts (the same
 * for all, so that only the type differs), its KV bytes per slot from /health and its single-stream decode over HTTP
 * in rounds that take the servers in rotating order. A type the server refuses for this model (it exits naming
 * the flag and the reason, e.g. the demo shape's 16-wide heads) is skipped with that reason.
 */
export async function kvTypes(options: {
  modelPath: string;
  threads: { decode: number; batch: number };
  rounds: number;
  decodeTokens: number;
  onProgress: (done: number, total: number, what: string) => void;
}): Promise<KvTypeResult[]> {
  const results: KvTypeResult[] = [];
  const servers: Array<{ result: KvTypeResult & { decode: number[] }; server: ServerProcess }> = [];
  try {
    for (const type of kvCacheTypes) {
      const flags = ["--cache-type-k", type, "--cache-type-v", type, "--flash-attn", "on"];
      const threads = ["--threads", String(options.threads.decode), "--threads-batch", String(options.threads.batch)];
      let server: ServerProcess;
      try {
        server = await ServerProcess.start(["--model", options.modelPath, "--parallel", "1", "--ctx-size", "1024", ...threads, ...flags]);
      } catch (error) {
        const lines = (error as Error).message.split(/[\r\n]+/).filter((line) => line.trim() !== "");
        results.push({ type, skipped: lines.at(-1)?.trim() ?? "the server did not start" });
        continue;
      }
      const result = { type, bytesPerSlot: (await server.health()).kvCache.bytesPerSlot, decode: [] as number[] };
      results.push(result);
      servers.push({ result, server });
      // the prompt's first evaluation, and the server's first-use costs, before any measurement
      await streamRequest(`${server.apiUrl}/completions`, { model: server.modelId, prompt: PROMPT, max_tokens: 4, logit_bias: NO_EOS });
    }
    let done = 0;
    for (let round = 0; round < options.rounds; round++) {
      const order = [...servers.slice(round % servers.length), ...servers.slice(0, round % servers.length)];
      for (const { result, server } of order) {
        const timing = await streamRequest(`${server.apiUrl}/completions`, { model: server.modelId, prompt: PROMPT, max_tokens: options.decodeTokens, logit_bias: NO_EOS, seed: round });
        result.decode.push(decodeRate(timing));
        options.onProgress(++done, options.rounds * servers.length, `KV ${result.type}`);
      }
    }
    return results;
  } finally {
    for (const { server } of servers) await server.stop();
  }
}
