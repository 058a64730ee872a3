import { createHash } from "node:crypto";
import type { GgufDetails } from "../engine/readGgufDetails.js";
import type { OllamaModelDetails } from "../protocol/ollamaResponses.js";

/** A count as Ollama writes `parameter_size`: "7B", "6.7B", "137M", "22K". */
function humanCount(count: number): string {
  for (const [unit, size] of [["B", 1e9], ["M", 1e6], ["K", 1e3]] as const) {
    if (count < size) continue;
    const value = count / size;
    return Number.isInteger(value) ? `${value}${unit}` : `${value.toFixed(1)}${unit}`;
  }
  return String(count);
}

/**
 * A GGUF's `details` in Ollama's shape, and the `digest` that stands for its file: Ollama's is its manifest's hash;
 * hashing a file of several GB on every listing would take seconds, so this one is the SHA-256 of the file's path,
 * size and modification time: it changes when the file does, and says nothing of its bytes.
 */
export function ollamaModelDetails(path: string, gguf: GgufDetails): { details: OllamaModelDetails; digest: string } {
  return {
    details: {
      parent_model: "",
      format: "gguf",
      family: gguf.architecture,
      families: [gguf.architecture],
      parameter_size: humanCount(gguf.parameterCount),
      quantization_level: gguf.quantization,
    },
    digest: createHash("sha256").update(`${path}\0${gguf.sizeBytes}\0${gguf.modifiedMs}`).digest("hex"),
  };
}
