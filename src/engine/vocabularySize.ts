import type { LlamaModel } from "node-llama-cpp";

/** Tokens in the model's vocabulary, as its GGUF lists them. */
export function vocabularySize(model: LlamaModel): number {
  const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
  return Array.isArray(tokens) ? tokens.length : 0;
}
