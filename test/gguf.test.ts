import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import llamaTokenizer from "llama-tokenizer-js";
import { readGgufFileInfo } from "node-llama-cpp";
import { Engine } from "../src/engine/Engine.js";
import { synthesizeLlamaModel } from "../src/gguf/synthesizeLlamaModel.js";
import { llamaVocabulary } from "../src/gguf/llamaVocabulary.js";
import { halfFloatBits } from "../src/gguf/halfFloat.js";
import { tinyModelPath } from "./helpers/testServer.js";

const dir = mkdtempSync(join(os.tmpdir(), "hermes-gguf-"));
let engine: Engine;
before(async () => {
  engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 1, threads: 1 });
});
after(async () => {
  await engine.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test("the vocabulary is Meta's Llama-2 SentencePiece vocabulary with its original ids, scores and types", () => {
  const { tokens, scores, types } = llamaVocabulary();
  assert.equal(tokens.length, 32000);
  assert.deepEqual([tokens[0], tokens[1], tokens[2], tokens[3], tokens[258]], ["<unk>", "<s>", "</s>", "<0x00>", "<0xFF>"]);
  assert.deepEqual([tokens[260], tokens[29871], tokens[31999]], ["▁t", "▁", "给"]);
  assert.deepEqual([types[0], types[1], types[2], types[3], types[258], types[259]], [2, 3, 3, 6, 6, 1]);
  assert.deepEqual([scores[1], scores[100], scores[260], scores[31999]], [0, 0, -1, -(31999 - 259)]);
  const whitespace = tokens.flatMap((piece, id) => (/^▁+$/.test(piece) ? [id] : []));
  assert.equal(whitespace.length, 16);
  assert.ok(whitespace.includes(29871));
  assert.ok(whitespace.every((id) => scores[id] === -1e9));
});

test("llama.cpp tokenizes the generated model's text exactly as llama-tokenizer-js does", () => {
  const samples = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "Café, naïve, Ångström, façade, jalapeño",
    "日本語のテキストと中文文本",
    "emoji 🦙🔥👍🏽 done",
    "runs  of   spaces    here",
    "  leading and trailing  ",
    "line one\nline two\n\n\nline five",
    "\ttabs\tand\r\nCRLF",
    "### Instruction:\nSay hi\n\n### Response:\n",
    "### Input:\n1 + 1 = 2; x_{i} <= y^2 && (a || b)",
    "<s> is not special here </s>",
  ];
  for (const text of samples) {
    assert.deepEqual(engine.tokenize(text, false), llamaTokenizer.encode(text, false, true), JSON.stringify(text));
  }
});

test("the metadata reads back as written", async () => {
  const path = join(dir, "meta.gguf");
  synthesizeLlamaModel({ shape: "tiny", type: "f32", out: path, seed: 3, name: "meta-check", chatTemplate: "{{ messages }}" });
  const info = await readGgufFileInfo(path);
  const metadata = info.metadata as unknown as Record<string, Record<string, unknown>>;
  assert.equal(info.version, 3);
  assert.equal(metadata.general?.name, "meta-check");
  assert.equal(metadata.general?.architecture, "llama");
  const llama = metadata.llama as Record<string, unknown>;
  assert.equal(llama.embedding_length, 64);
  assert.equal(llama.block_count, 2);
  const tokenizer = metadata.tokenizer as { chat_template: string; ggml: Record<string, unknown> };
  assert.equal(tokenizer.chat_template, "{{ messages }}");
  assert.equal(tokenizer.ggml.bos_token_id, 1);
  assert.equal(tokenizer.ggml.eos_token_id, 2);
  assert.equal(tokenizer.ggml.add_bos_token, true);
  assert.equal(info.tensorInfo?.length, 3 + 9 * 2);
  const loaded = await Engine.load({ modelPath: path, parallel: 1, threads: 1, contextSize: 256 });
  try {
    assert.equal(loaded.info.chatTemplate, "{{ messages }}");
    assert.equal(loaded.info.name, "meta-check");
    assert.equal(loaded.info.contextSize, 256);
    assert.equal(loaded.info.vocabularySize, 32000);
    assert.equal(loaded.info.addBos, true);
  } finally {
    await loaded.dispose();
  }
});

test("the same seed writes the same file; another seed writes other weights", async () => {
  const { readFileSync } = await import("node:fs");
  const paths = [1, 1, 2].map((seed, i) => {
    const path = join(dir, `seed-${i}.gguf`);
    synthesizeLlamaModel({ shape: "tiny", type: "q8_0", out: path, seed });
    return path;
  });
  const [a, b, c] = paths.map((p) => readFileSync(p));
  assert.ok(a?.equals(b as Buffer));
  assert.ok(!a?.equals(c as Buffer));
});

for (const type of ["f16", "q8_0", "q4_0"] as const) {
  test(`a ${type} model loads and generates through node-llama-cpp`, async () => {
    const path = join(dir, `tiny-${type}.gguf`);
    synthesizeLlamaModel({ shape: "tiny", type, out: path, seed: 5 });
    const model = await Engine.load({ modelPath: path, parallel: 1, threads: 1 });
    try {
      const events = [];
      for await (const event of model.generate({
        promptTokens: model.promptTokens("Hello", false),
        maxTokens: 4,
        stop: [],
        sampling: { temperature: 0, topK: 0, topP: 1, minP: 0, seed: 1, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1, logitBias: new Map([[2, -100]]) },
      })) {
        events.push(event);
      }
      const done = events.at(-1);
      assert.equal(done?.type, "done");
      assert.equal(done?.type === "done" && done.usage.completionTokens, 4);
    } finally {
      await model.dispose();
    }
  });
}

test("half-float conversion rounds as IEEE 754 binary16", () => {
  assert.equal(halfFloatBits(1), 0x3c00);
  assert.equal(halfFloatBits(-2), 0xc000);
  assert.equal(halfFloatBits(65504), 0x7bff);
  assert.equal(halfFloatBits(1e6), 0x7c00);
  assert.equal(halfFloatBits(2 ** -24), 0x0001);
  assert.equal(halfFloatBits(0), 0);
});
