import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { RestoreCost } from "./RestoreCost.js";

/**
 * Seeds the estimates: prefills `tokens` into the empty `sequence`, saves and restores that state, and clears it.
 * Prefill of so short a prompt is slower per token than a full chunk, and a small state's restore dominated by
 * fixed costs: both err towards restoring, and the first real steps and restores correct them.
 */
export async function measureRestoreCost(sequence: LlamaContextSequence, tokens: readonly number[], staging: string): Promise<RestoreCost> {
  const file = join(staging, "probe.state");
  try {
    let started = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(tokens as Token[]);
    const prefillMs = performance.now() - started;
    const { fileSize } = await sequence.saveStateToFile(file);
    started = performance.now();
    await sequence.loadStateFromFile(file, { acceptRisk: true });
    const restoreMs = performance.now() - started;
    return new RestoreCost(prefillMs / tokens.length, restoreMs / fileSize);
  } finally {
    await rm(file, { force: true });
    await sequence.clearHistory();
  }
}
