import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { RestoreCost } from "./RestoreCost.js";

/** Loads per measured state: the fastest counts, as a single one can be slowed by anything else on the machine. */
const LOADS = 3;

/**
 * Seeds the estimates: prefills `tokens` into the empty `sequence`, then saves and loads (each several times, the
 * fastest counting) that state and a one-token state, whose load is the fixed part of a restore; the difference
 * gives the part per byte. It leaves the sequence empty. Prefill of so short a prompt is slower per token than a
 * full chunk, which errs towards restoring; the real steps and restores correct the estimates as the server runs.
 */
export async function measureRestoreCost(sequence: LlamaContextSequence, tokens: readonly number[], staging: string, margin?: number): Promise<RestoreCost> {
  const file = join(staging, "probe.state");
  const fastestLoad = async (): Promise<{ ms: number; bytes: number }> => {
    const { fileSize } = await sequence.saveStateToFile(file);
    let fastest = Infinity;
    for (let i = 0; i < LOADS; i++) {
      const started = performance.now();
      await sequence.loadStateFromFile(file, { acceptRisk: true });
      fastest = Math.min(fastest, performance.now() - started);
    }
    return { ms: fastest, bytes: fileSize };
  };
  try {
    const started = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(tokens as Token[]);
    const prefillMs = performance.now() - started;
    const full = await fastestLoad();
    await sequence.eraseContextTokenRanges([{ start: 1, end: sequence.nextTokenIndex }]);
    const one = await fastestLoad();
    const perByte = Math.max(0, full.ms - one.ms) / Math.max(1, full.bytes - one.bytes);
    return new RestoreCost(prefillMs / tokens.length, one.ms, perByte, margin);
  } finally {
    await rm(file, { force: true });
    await sequence.clearHistory();
  }
}
