import { rawCut } from "./rawCut.js";
import { rawPost } from "./rawPost.js";
import { streamedCompletion } from "./streamedCompletion.js";
import { streamExchange } from "./streamExchange.js";
import type { StressServer } from "./StressServer.js";

export interface CutsOptions {
  cuts: number;
  key: string;
  model: string;
  /** Cut requests in flight at once (fewer than parallel + max-queue, so none should be refused). */
  concurrency: number;
  /** A deterministic source of the cut points, (0, 1]. */
  random: () => number;
  /** How long the generated-token counter is watched once the server is idle, ms. */
  watchMs: number;
}

export type CutPoint = "before-headers" | "in-prefill" | "mid-stream";

export interface CutsResult {
  cuts: Record<CutPoint, number>;
  /** Of them, with a TCP reset rather than a close. */
  resets: number;
  /**
   * 503s before the cut: the queue was full, though no more than `concurrency` requests were in flight at once,
   * because requests already cut still hold their place until the scheduler's next step.
   */
  refused: number;
  /** Answers other than the expected before a cut (a 200 stream in progress, or such a 503), by status or outcome. */
  unexpected: Record<string, number>;
  /** Did /health reach 0 busy slots and 0 queued afterwards, and how long that took (ms)? */
  idle: boolean;
  idleMs: number;
  busyAfter: number;
  queuedAfter: number;
  /** Growth of hermes_generated_tokens_total over `watchMs` once idle (expected 0). */
  generatedGrowth: number;
}

/**
 * A prompt of ~3000 tokens whose first token differs from call to call: no slot's cache holds a prefix of it, so
 * it is evaluated in full (many prefill steps) and a cut lands in its prefill.
 */
function longPrompt(unique: number): string {
  return `${unique} ${"the cat sat on the mat. ".repeat(420)}`;
}

/**
 * `cuts` streamed completions, each abandoned at a random point: before the server has the whole request (a raw
 * socket), during the prefill of a ~3000-token prompt (before the first token, so before any header), or after
 * a random number of streamed events; a third of them with a TCP reset. Afterwards the server must be idle and
 * generate nothing more.
 */
export async function cutsScenario(server: StressServer, options: CutsOptions): Promise<CutsResult> {
  const result: CutsResult = {
    cuts: { "before-headers": 0, "in-prefill": 0, "mid-stream": 0 },
    resets: 0,
    refused: 0,
    unexpected: {},
    idle: false,
    idleMs: NaN,
    busyAfter: NaN,
    queuedAfter: NaN,
    generatedGrowth: NaN,
  };
  const headers = { Authorization: `Bearer ${options.key}` };
  const url = `${server.origin}/v1/completions`;
  const one = async (index: number): Promise<void> => {
    const point: CutPoint = (["before-headers", "in-prefill", "mid-stream"] as const)[index % 3]!;
    const reset = options.random() < 1 / 3;
    result.cuts[point]++;
    if (reset) result.resets++;
    if (point === "before-headers") {
      const bytes = rawPost(server.origin, "/v1/completions", headers, streamedCompletion(options.model, 64));
      await rawCut(server.origin, bytes, Math.max(1, Math.floor(options.random() * bytes.length)), reset, 10_000);
      return;
    }
    const cut = point === "in-prefill" ? { afterMs: options.random() * 150, reset } : { afterEvents: 1 + Math.floor(options.random() * 40), reset };
    const body = point === "in-prefill" ? streamedCompletion(options.model, 16, longPrompt(index)) : streamedCompletion(options.model, 256);
    const answer = await streamExchange({ url, headers, body, timeoutMs: 30_000, cut });
    if (answer.outcome === "answered" && answer.status === 503 && answer.headers?.["retry-after"] !== undefined) result.refused++;
    else if (answer.outcome !== "cut") {
      const key = answer.status !== undefined ? `${answer.outcome} HTTP ${answer.status}` : answer.outcome;
      result.unexpected[key] = (result.unexpected[key] ?? 0) + 1;
    }
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.cuts) await one(next++);
    }),
  );
  const idle = await server.waitForHealth((h) => h.slots.busy === 0 && h.queued === 0, 15_000);
  result.idle = idle.met;
  result.idleMs = idle.ms;
  result.busyAfter = idle.health?.slots.busy ?? NaN;
  result.queuedAfter = idle.health?.queued ?? NaN;
  const before = (await server.health())?.counters.generatedTokens;
  // a window of observation, not a wait for an event: what is measured is that nothing happens in it
  await new Promise((resolve) => setTimeout(resolve, options.watchMs));
  const after = (await server.health())?.counters.generatedTokens;
  result.generatedGrowth = before !== undefined && after !== undefined ? after - before : NaN;
  return result;
}
