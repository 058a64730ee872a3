import type { LlamaContextSequence } from "node-llama-cpp";

interface SequenceInternals {
  _copyStateFromOtherSequence?: (source: LlamaContextSequence, upToTokenIndex: number) => Promise<boolean>;
}

/**
 * Makes `target` hold the first `length` tokens of `source`'s KV cache by copying the cells
 * (`llama_memory_seq_cp`) instead of recomputing them. node-llama-cpp has this only as an internal method of
 * 3.22.1 (pinned; test/engine.test.ts fails if it stops giving the same state as a fresh evaluation).
 * Returns false, leaving `target` to be recomputed, when the method is missing or reports a partial copy.
 * Call it only between decode steps: the copy must not run while either sequence is being decoded.
 */
export async function copySequencePrefix(target: LlamaContextSequence, source: LlamaContextSequence, length: number): Promise<boolean> {
  const copy = (target as unknown as SequenceInternals)._copyStateFromOtherSequence;
  if (typeof copy !== "function") return false;
  return (await copy.call(target, source, length)) === true;
}
