import assert from "node:assert/strict";
import { neutralSampling } from "../src/engine/neutralSampling.js";
import { describe, test } from "node:test";
import { Engine } from "../src/engine/Engine.js";
import type { KvCacheSettings } from "../src/engine/kvCacheLayout.js";
import type { GenerationEvent } from "../src/engine/types.js";
import { startTestServer, tinyModelPath } from "./helpers/testServer.js";

const sampling = neutralSampling({ temperature: 0 });

async function completionTokens(events: AsyncIterable<GenerationEvent>): Promise<number> {
  for await (const event of events) if (event.type === "done") return event.usage.completionTokens;
  throw new Error("no done event");
}

// the tiny model's heads are 16 wide, less than a q8_0 / q4_0 block: llama.cpp takes a quantized K only without
// flash attention, and a quantized V not at all (it needs flash attention)
const accepted: KvCacheSettings[] = [
  { keyType: "f16", valueType: "f16", flashAttention: "auto" },
  { keyType: "f16", valueType: "f16", flashAttention: "on" },
  { keyType: "f16", valueType: "f16", flashAttention: "off" },
  { keyType: "q8_0", valueType: "f16", flashAttention: "off" },
  { keyType: "q4_0", valueType: "f16", flashAttention: "off" },
];

describe("KV cache types and flash attention on the tiny model", () => {
  const sizes = new Map<string, number>();
  for (const kvCache of accepted) {
    const name = `K ${kvCache.keyType}, V ${kvCache.valueType}, flash attention ${kvCache.flashAttention}`;
    test(`${name}: loads, generates, reports its settings and KV size`, async () => {
      const engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 1, threads: 1, contextSize: 256, kvCache });
      try {
        const prompt = engine.promptTokens("river stone lamp quiet orbit", false);
        assert.equal(await completionTokens(engine.generate({ promptTokens: prompt, maxTokens: 4, sampling, stop: [] })), 4);
        const { bytesPerSlot, ...settings } = engine.info.kvCache;
        assert.deepEqual(settings, kvCache);
        sizes.set(kvCache.keyType, bytesPerSlot);
        // 2 layers x 256 tokens x 64 values of K and of V
        const bytesPerValue = { f16: 2, q8_0: 34 / 32, q4_0: 18 / 32 }[kvCache.keyType];
        assert.equal(bytesPerSlot, 2 * engine.info.contextSize * 64 * (bytesPerValue + 2));
      } finally {
        await engine.dispose();
      }
    });
  }
  test("a quantized K cache is smaller than an f16 one, q4_0 the smallest", () => {
    const [f16, q8, q4] = ["f16", "q8_0", "q4_0"].map((type) => sizes.get(type));
    assert.ok(f16 !== undefined && q8 !== undefined && q4 !== undefined, "the loads above ran");
    assert.ok(q8 < f16 && q4 < q8, `f16 ${f16}, q8_0 ${q8}, q4_0 ${q4}`);
  });

  const refused: Array<[KvCacheSettings, RegExp]> = [
    [{ keyType: "f16", valueType: "q8_0", flashAttention: "off" }, /--cache-type-v q8_0 needs flash attention/],
    [{ keyType: "f16", valueType: "q4_0", flashAttention: "auto" }, /--cache-type-v q4_0: .* head size \(16\)/],
    [{ keyType: "q8_0", valueType: "f16", flashAttention: "on" }, /--cache-type-k q8_0: .* head size \(16\); use f16, or --flash-attn off/],
  ];
  for (const [kvCache, message] of refused) {
    test(`K ${kvCache.keyType}, V ${kvCache.valueType}, flash attention ${kvCache.flashAttention}: refused before the context is made`, async () => {
      await assert.rejects(Engine.load({ modelPath: tinyModelPath(), parallel: 1, threads: 1, contextSize: 256, kvCache }), message);
    });
  }
});

test("/health reports the KV cache settings and bytes per slot", async () => {
  const server = await startTestServer({ parallel: 1, contextSize: 256, kvCache: { keyType: "q8_0", flashAttention: "off" } });
  try {
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; kvCache: unknown };
    assert.equal(health.status, "ok");
    assert.deepEqual(health.kvCache, { keyType: "q8_0", valueType: "f16", flashAttention: "off", bytesPerSlot: 2 * 256 * 64 * (34 / 32 + 2) });
  } finally {
    await server.close();
  }
});
