import assert from "node:assert/strict";
import { test } from "node:test";
import { checkKvCache, kvCacheBytesPerSlot, type AttentionShape, type KvCacheSettings } from "../../src/engine/kvCacheLayout.js";

const tiny: AttentionShape = { layers: 2, kvHeads: 4, keyHeadSize: 16, valueHeadSize: 16, flashAttentionSupported: true };
const llama7b: AttentionShape = { layers: 32, kvHeads: 32, keyHeadSize: 128, valueHeadSize: 128, flashAttentionSupported: true };
const kv = (keyType: KvCacheSettings["keyType"], valueType: KvCacheSettings["valueType"], flashAttention: KvCacheSettings["flashAttention"]): KvCacheSettings => ({
  keyType,
  valueType,
  flashAttention,
});

test("every type combination with flash attention on or auto fits Llama-2's 128-wide heads; a quantized V needs flash attention", () => {
  for (const k of ["f16", "q8_0", "q4_0"] as const) {
    for (const v of ["f16", "q8_0", "q4_0"] as const) {
      for (const fa of ["auto", "on"] as const) assert.doesNotThrow(() => checkKvCache(llama7b, kv(k, v, fa)));
      if (v === "f16") assert.doesNotThrow(() => checkKvCache(llama7b, kv(k, v, "off")));
      else assert.throws(() => checkKvCache(llama7b, kv(k, v, "off")), /--cache-type-v q\d_0 needs flash attention/);
    }
  }
});

test("16-wide heads (the tiny test model): a quantized K only without flash attention, a quantized V never", () => {
  assert.throws(() => checkKvCache(tiny, kv("q8_0", "f16", "auto")), /--cache-type-k q8_0: its blocks of 32 values do not divide this model's attention head size \(16\); use f16, or --flash-attn off/);
  assert.throws(() => checkKvCache(tiny, kv("f16", "q4_0", "on")), /--cache-type-v q4_0: .* head size \(16\); use f16$/);
  assert.throws(() => checkKvCache(tiny, kv("f16", "q8_0", "off")), /needs flash attention/);
  for (const k of ["f16", "q8_0", "q4_0"] as const) assert.doesNotThrow(() => checkKvCache(tiny, kv(k, "f16", "off")));
  assert.doesNotThrow(() => checkKvCache(tiny, kv("f16", "f16", "auto")));
});

test("a model without flash attention: 'on' and a quantized V are refused, 'auto' with f16 is not", () => {
  const noFlash = { ...llama7b, flashAttentionSupported: false };
  assert.throws(() => checkKvCache(noFlash, kv("f16", "f16", "on")), /--flash-attn on: this model does not support flash attention/);
  assert.throws(() => checkKvCache(noFlash, kv("f16", "q8_0", "auto")), /needs flash attention/);
  assert.doesNotThrow(() => checkKvCache(noFlash, kv("q4_0", "f16", "auto")));
});

test("bytes per slot: layers x tokens x KV heads x head size x bytes per value (f16 2, q8_0 34/32, q4_0 18/32)", () => {
  // Llama-2 7B at 4096 tokens in f16: the well-known 2 GiB
  assert.equal(kvCacheBytesPerSlot(llama7b, kv("f16", "f16", "auto"), 4096), 2 * 2 ** 30);
  assert.equal(kvCacheBytesPerSlot(llama7b, kv("q8_0", "q8_0", "auto"), 4096), (2 * 2 ** 30 * 34) / 64);
  assert.equal(kvCacheBytesPerSlot(llama7b, kv("q4_0", "q4_0", "auto"), 4096), (2 * 2 ** 30 * 18) / 64);
  assert.equal(kvCacheBytesPerSlot(tiny, kv("q8_0", "f16", "off"), 100), 2 * 100 * 64 * (34 / 32 + 2));
});
