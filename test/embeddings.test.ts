import assert from "node:assert/strict";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import llamaTokenizer from "llama-tokenizer-js";
import { synthesizeLlamaModel } from "../src/gguf/synthesizeLlamaModel.js";
import { assertOpenAiShape } from "./helpers/assertOpenAiShape.js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";

const norm = (vector: readonly number[]): number => Math.hypot(...vector);

describe("embeddings of the served model", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 1, contextSize: 256 });
  });
  after(async () => {
    await server.close();
  });

  test("string and array inputs: one unit-length vector per input, in order, deterministic; usage counts the tokens", async () => {
    const client = server.client();
    const texts = ["The lighthouse keeper", "watched the sea", "The lighthouse keeper"];
    const response = await client.embeddings.create({ model: MODEL_ID, input: texts });
    assert.equal(response.object, "list");
    assert.deepEqual(response.data.map((d) => d.index), [0, 1, 2]);
    const vectors = response.data.map((d) => d.embedding);
    for (const vector of vectors) {
      assert.equal(vector.length, 64, "the tiny model's hidden size");
      assert.ok(Math.abs(norm(vector) - 1) < 1e-5);
    }
    assert.deepEqual(vectors[2], vectors[0], "the same text, the same vector");
    assert.notDeepEqual(vectors[1], vectors[0]);
    const single = await client.embeddings.create({ model: MODEL_ID, input: texts[1]! });
    assert.deepEqual(single.data[0]!.embedding, vectors[1]);
    const tokens = texts.reduce((sum, text) => sum + llamaTokenizer.encode(text, true).length, 0);
    assert.deepEqual(response.usage, { prompt_tokens: tokens, total_tokens: tokens });
  });

  test("token-id inputs embed as their text does; float and base64 encodings carry the same numbers", async () => {
    const text = "A small boat on the river";
    const ids = llamaTokenizer.encode(text, false);
    const byText = (await (await postJson(`${server.url}/v1/embeddings`, { model: MODEL_ID, input: text, encoding_format: "float" })).json()) as {
      data: Array<{ embedding: number[] }>;
    };
    assertOpenAiShape("CreateEmbeddingResponse", byText);
    const byIds = (await (await postJson(`${server.url}/v1/embeddings`, { model: MODEL_ID, input: [ids, ids], encoding_format: "float" })).json()) as {
      data: Array<{ embedding: number[] }>;
    };
    assert.deepEqual(byIds.data[0]!.embedding, byText.data[0]!.embedding);
    assert.equal(byIds.data.length, 2);
    const encoded = (await (await postJson(`${server.url}/v1/embeddings`, { model: MODEL_ID, input: text, encoding_format: "base64" })).json()) as {
      data: Array<{ embedding: string }>;
    };
    const bytes = Buffer.from(encoded.data[0]!.embedding, "base64");
    const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    assert.deepEqual(decoded, byText.data[0]!.embedding.map((v) => Math.fround(v)));
  });

  test("bad input is a 400 naming it: empty text, wrong dimensions, ids outside the vocabulary, too long; unknown model 404", async () => {
    const expectError = async (body: Record<string, unknown>, status: number, param: string): Promise<void> => {
      const response = await postJson(`${server.url}/v1/embeddings`, { model: MODEL_ID, ...body });
      assert.equal(response.status, status, JSON.stringify(body).slice(0, 80));
      assert.equal(((await response.json()) as { error: { param: string } }).error.param, param);
    };
    await expectError({ input: "" }, 400, "input");
    await expectError({ input: "hi", dimensions: 32 }, 400, "dimensions");
    await expectError({ input: [[1, 32000]] }, 400, "input");
    await expectError({ input: "word ".repeat(300) }, 400, "input");
    await expectError({ input: "hi", model: "text-embedding-3-small" }, 404, "model");
  });
});

describe("--embedding-model", () => {
  let server: TestServer;
  let embeddingPath: string;
  before(async () => {
    embeddingPath = join(os.tmpdir(), `hermes-serve-test-${process.pid}`, "tiny-embedder.gguf");
    synthesizeLlamaModel({ shape: "tiny", type: "f32", out: embeddingPath, seed: 2, name: "tiny-embedder" });
    server = await startTestServer({ parallel: 1, embeddingModelPath: embeddingPath });
  });
  after(async () => {
    await server.close();
  });

  test("a separate model serves embeddings under its own name, listed by /models; the served model's stay available", async () => {
    const client = server.client();
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), [MODEL_ID, "tiny-embedder"]);
    assert.equal((await client.models.retrieve("tiny-embedder")).id, "tiny-embedder");
    const separate = await client.embeddings.create({ model: "tiny-embedder", input: "hello there" });
    const served = await client.embeddings.create({ model: MODEL_ID, input: "hello there" });
    assert.equal(separate.data[0]!.embedding.length, 64);
    assert.notDeepEqual(separate.data[0]!.embedding, served.data[0]!.embedding, "other weights, another vector");
    // it is an embedding model only: chat under its name is a 404
    await assert.rejects(client.chat.completions.create({ model: "tiny-embedder", messages: [{ role: "user", content: "hi" }] }), (e: { status?: number }) => e.status === 404);
  });
});
