import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/** Bytes read from each end of the model file: the GGUF header and metadata at the start, weights at the end. */
const SAMPLE = 1 << 20;

/**
 * What a saved KV state is bound to, as a hex digest: the model file (its size and its first and last MiB: the
 * metadata and the last tensors; hashing a 7 GB file at every start would cost seconds), the settings that shape a
 * sequence's cells (context size, KV types, flash attention: V is stored transposed without it) and the llama.cpp
 * build that wrote it. llama.cpp loads a state from another model without noticing, and may crash on it.
 */
export async function stateFingerprint(modelPath: string, settings: Record<string, string | number | boolean>): Promise<string> {
  const file = await open(modelPath, "r");
  try {
    const { size } = await file.stat();
    const hash = createHash("sha256");
    hash.update(JSON.stringify({ format: 1, size, settings }));
    for (const position of [0, Math.max(0, size - SAMPLE)]) {
      const buffer = Buffer.alloc(Math.min(SAMPLE, size));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest("hex");
  } finally {
    await file.close();
  }
}
