import type { LlamaModel } from "node-llama-cpp";
import type { AttentionShape } from "./kvCacheLayout.js";

/**
 * The attention dimensions of a loaded model, from its GGUF's `<architecture>.*` keys (head sizes default to the
 * embedding split over the heads, as llama.cpp does). A per-layer KV head count counts as its largest: the size
 * computed from it is then an upper bound.
 */
export function attentionShape(model: LlamaModel): AttentionShape {
  const metadata = model.fileInfo.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
  const architecture = String(metadata.general?.architecture ?? "llama");
  const keys = (metadata[architecture] ?? {}) as {
    block_count?: number;
    embedding_length?: number;
    attention?: { head_count?: number; head_count_kv?: number | number[]; key_length?: number; value_length?: number };
  };
  const heads = keys.attention?.head_count ?? 1;
  const kv = keys.attention?.head_count_kv ?? heads;
  const headSize = Math.floor((keys.embedding_length ?? 0) / heads);
  return {
    layers: keys.block_count ?? 0,
    kvHeads: Array.isArray(kv) ? Math.max(...kv) : kv,
    keyHeadSize: keys.attention?.key_length ?? headSize,
    valueHeadSize: keys.attention?.value_length ?? headSize,
    flashAttentionSupported: model.flashAttentionSupported,
  };
}
