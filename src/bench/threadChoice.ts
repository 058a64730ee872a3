import type { ThreadsInfo } from "../engine/ThreadsInfo.js";
import { decodeRate } from "./decodeRate.js";
import { ServerProcess } from "./ServerProcess.js";
import { streamRequest } from "./streamRequest.js";

/** One server of the comparison: its `--threads`, and its rates over HTTP, one per round. */
export interface ThreadServerRates {
  threads: number | "auto";
  /** Single-stream decode tokens/s. */
  decode: number[];
  /** Prompt tokens/s of a fresh prompt (prompt tokens / time to first token). */
  prefill: number[];
}

export interface ThreadChoiceResult {
  /** What `--threads auto` chose at its start, and what it measured to choose it. */
  auto: ThreadsInfo;
  servers: ThreadServerRates[];
}

const NO_EOS = { "2": -100 };
const WORDS = ["harbor", "lantern", "quiet", "orbit", "maple", "signal", "copper", "meadow", "granite", "delta", "fjord", "ember"];

/** A prompt no earlier request began with, about `words` words long. */
const freshPrompt = (words: number, seed: number): string =>
  `Note ${seed}: ${Array.from({ length: words }, (_, i) => WORDS[(i * 5 + seed * 7 + Math.floor(i / 12)) % WORDS.length]).join(" ")}`;

/**
 * The thread choice: `hermes serve` with `--threads N` for each count of `counts` and with `--threads auto`, each
 * measured over HTTP on one stream's decode and on a fresh prompt's prefill, in rounds that take the servers in
 * rotating order, so that the machine's drift touches each alike.
 */
export async function threadChoice(options: {
  modelPath: string;
  counts: readonly number[];
  rounds: number;
  decodeTokens: number;
  prefillWords: number;
  onProgress: (done: number, total: number, what: string) => void;
}): Promise<ThreadChoiceResult> {
  const servers: Array<{ rates: ThreadServerRates; server: ServerProcess }> = [];
  try {
    for (const threads of ["auto" as const, ...options.counts]) {
      const server = await ServerProcess.start(["--model", options.modelPath, "--parallel", "1", "--ctx-size", "1024", "--threads", String(threads)]);
      servers.push({ rates: { threads, decode: [], prefill: [] }, server });
      // its first request pays for first-use costs
      await streamRequest(`${server.apiUrl}/completions`, { model: server.modelId, prompt: "Warm up.", max_tokens: 4, logit_bias: NO_EOS });
    }
    const auto = (await servers[0]!.server.health()).threads;
    let done = 0;
    for (let round = 0; round < options.rounds; round++) {
      const order = [...servers.slice(round % servers.length), ...servers.slice(0, round % servers.length)];
      for (const { rates, server } of order) {
        const completions = `${server.apiUrl}/completions`;
        const decode = await streamRequest(completions, { model: server.modelId, prompt: `Round ${round}: once upon a time`, max_tokens: options.decodeTokens, logit_bias: NO_EOS, seed: round });
        rates.decode.push(decodeRate(decode));
        const prefill = await streamRequest(completions, { model: server.modelId, prompt: freshPrompt(options.prefillWords, round * 100 + done), max_tokens: 1, logit_bias: NO_EOS });
        rates.prefill.push((1000 * (prefill.promptTokens - (prefill.cachedTokens ?? 0))) / (prefill.firstTokenAt - prefill.sentAt));
        options.onProgress(++done, options.rounds * servers.length, `threads: --threads ${rates.threads}`);
      }
    }
    return { auto, servers: servers.map(({ rates }) => rates) };
  } finally {
    for (const { server } of servers) await server.stop();
  }
}
