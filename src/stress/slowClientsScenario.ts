import { percentile } from "../bench/percentile.js";
import { slowloris } from "./slowloris.js";
import { stalledReader } from "./stalledReader.js";
import { streamedCompletion } from "./streamedCompletion.js";
import type { StressServer } from "./StressServer.js";
import { streamExchange } from "./streamExchange.js";

export interface SlowClientsOptions {
  key: string;
  model: string;
  /** Rounds of (idle measurement, measurement alongside the slow clients). */
  rounds: number;
  /** Tokens per measured stream. */
  tokens: number;
  /**
   * Tokens the stalled reader asks for. Its whole output fits its socket's buffers (Linux lets a loopback socket
   * take ~4 MiB), so the server generates it all; the measurement starts once it has, so that it measures what the
   * stalled connection itself costs the others, not one more stream in the batch.
   */
  stalledTokens: number;
}

export interface SlowClientsResult {
  /** Decode tok/s of one normal stream, median over rounds: idle, and alongside a slowloris and a stalled reader. */
  idleTokensPerSecond: number;
  loadedTokensPerSecond: number;
  /** Median of the per-round loaded / idle ratios (each round's pair is adjacent, so machine drift cancels). */
  ratio: number;
  /** Measured streams that did not end with `data: [DONE]`. */
  failedStreams: number;
  /**
   * Rounds in which the stalled reader's request had finished generating (its output unread in its socket) before
   * the measurement, and the longest that took.
   */
  stalledDone: number;
  stalledDoneMs: number;
  /** Slow clients the server closed during their round. */
  slowlorisClosedByServer: number;
  stalledClosedByServer: number;
}

/** The text-carrying events of a completions stream. */
function textEvents(events: readonly string[]): number[] {
  const indexes: number[] = [];
  events.forEach((event, index) => {
    if (event === "[DONE]") return;
    try {
      const chunk = JSON.parse(event) as { choices?: Array<{ text?: string }> };
      if (chunk.choices?.[0]?.text) indexes.push(index);
    } catch {
      // a malformed event is the framing check's business, not the rate's
    }
  });
  return indexes;
}

async function decodeRate(origin: string, options: SlowClientsOptions): Promise<number | undefined> {
  const answer = await streamExchange({
    url: `${origin}/v1/completions`,
    headers: { Authorization: `Bearer ${options.key}` },
    body: streamedCompletion(options.model, options.tokens),
    timeoutMs: 60_000,
  });
  const texts = textEvents(answer.events);
  if (answer.outcome !== "complete" || texts.length < 2) return undefined;
  const first = answer.eventMs[texts[0]!]!;
  const last = answer.eventMs[texts.at(-1)!]!;
  return ((texts.length - 1) / (last - first)) * 1000;
}

/**
 * Normal streams' decode speed with and without a slowloris connection and a client that stopped reading its
 * stream, in adjacent pairs; the second measurement starts once the stalled reader's request has been generated.
 */
export async function slowClientsScenario(server: StressServer, options: SlowClientsOptions): Promise<SlowClientsResult> {
  const origin = server.origin;
  const idle: number[] = [];
  const loaded: number[] = [];
  const ratios: number[] = [];
  const result: SlowClientsResult = {
    idleTokensPerSecond: NaN,
    loadedTokensPerSecond: NaN,
    ratio: NaN,
    failedStreams: 0,
    stalledDone: 0,
    stalledDoneMs: 0,
    slowlorisClosedByServer: 0,
    stalledClosedByServer: 0,
  };
  for (let round = 0; round < options.rounds; round++) {
    const alone = await decodeRate(origin, options);
    const loris = slowloris(origin, 200);
    const stalled = await stalledReader(origin, { Authorization: `Bearer ${options.key}` }, streamedCompletion(options.model, options.stalledTokens), 30_000);
    const done = await server.waitForHealth((health) => health.slots.busy === 0, 30_000);
    if (done.met) result.stalledDone++;
    result.stalledDoneMs = Math.max(result.stalledDoneMs, done.ms);
    const alongside = await decodeRate(origin, options);
    if (loris.close().closedByServer) result.slowlorisClosedByServer++;
    if (stalled.close().closedByServer) result.stalledClosedByServer++;
    if (alone === undefined || alongside === undefined) {
      result.failedStreams += Number(alone === undefined) + Number(alongside === undefined);
      continue;
    }
    idle.push(alone);
    loaded.push(alongside);
    ratios.push(alongside / alone);
  }
  result.idleTokensPerSecond = percentile(idle, 50);
  result.loadedTokensPerSecond = percentile(loaded, 50);
  result.ratio = percentile(ratios, 50);
  return result;
}
