/** The KV cache element types `--cache-type-k` / `--cache-type-v` offer (llama-server's common ones). */
export const kvCacheTypes = ["f16", "q8_0", "q4_0"] as const;
export type KvCacheType = (typeof kvCacheTypes)[number];

/** `--flash-attn`: llama.cpp decides (auto), or always / never. */
export const flashAttentionModes = ["auto", "on", "off"] as const;
export type FlashAttentionMode = (typeof flashAttentionModes)[number];

/** Bytes and elements of one storage block of each type (ggml's: f16 unblocked, q8_0 and q4_0 blocks of 32 with an f16 scale). */
const BLOCKS: Record<KvCacheType, { elements: number; bytes: number }> = {
  f16: { elements: 1, bytes: 2 },
  q8_0: { elements: 32, bytes: 34 },
  q4_0: { elements: 32, bytes: 18 },
};

/** The attention dimensions the KV cache is made of, as the GGUF gives them. */
export interface AttentionShape {
  layers: number;
  kvHeads: number;
  keyHeadSize: number;
  valueHeadSize: number;
  /** Whether llama.cpp can run flash attention for this model. */
  flashAttentionSupported: boolean;
}

export interface KvCacheSettings {
  keyType: KvCacheType;
  valueType: KvCacheType;
  flashAttention: FlashAttentionMode;
}

/**
 * Refuses a combination llama.cpp would not create a context for, with a message naming the flags (checked before
 * the context is made, so the server exits at start rather than with llama.cpp's bare "Failed to create context"):
 * a quantized V cache needs flash attention, and with flash attention a quantized row is one head, so the head size
 * must be a whole number of blocks. Measured on llama.cpp of node-llama-cpp 3.22.1: a quantized K cache without
 * flash attention is not checked that way, and works with 16-wide heads.
 */
export function checkKvCache(shape: AttentionShape, settings: KvCacheSettings): void {
  const { keyType, valueType, flashAttention } = settings;
  const quantizedV = valueType !== "f16";
  if (flashAttention === "on" && !shape.flashAttentionSupported) throw new Error("--flash-attn on: this model does not support flash attention");
  if (quantizedV && (flashAttention === "off" || !shape.flashAttentionSupported)) {
    throw new Error(`--cache-type-v ${valueType} needs flash attention (--flash-attn on or auto, on a model that supports it)`);
  }
  // with flash attention (llama.cpp counts "auto") a quantized row is one head; without, one token's heads together
  const flash = flashAttention !== "off" && shape.flashAttentionSupported;
  for (const [flag, type, head] of [
    ["--cache-type-k", keyType, shape.keyHeadSize],
    ["--cache-type-v", valueType, shape.valueHeadSize],
  ] as const) {
    const block = BLOCKS[type].elements;
    const row = flash ? head : head * shape.kvHeads;
    if (row % block !== 0) {
      const hint = flag === "--cache-type-k" && flash && (head * shape.kvHeads) % block === 0 ? "; use f16, or --flash-attn off" : "; use f16";
      throw new Error(`${flag} ${type}: its blocks of ${block} values do not divide this model's ${flash ? "attention head size" : "KV row"} (${row})${hint}`);
    }
  }
}

/** Bytes of KV cache one slot of `contextSize` tokens holds: every layer's keys and values of every KV head. */
export function kvCacheBytesPerSlot(shape: AttentionShape, settings: KvCacheSettings, contextSize: number): number {
  const rowBytes = (type: KvCacheType, elements: number): number => (elements / BLOCKS[type].elements) * BLOCKS[type].bytes;
  const perToken = shape.kvHeads * (rowBytes(settings.keyType, shape.keyHeadSize) + rowBytes(settings.valueType, shape.valueHeadSize));
  return Math.ceil(shape.layers * contextSize * perToken);
}
