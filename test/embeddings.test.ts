import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import llamaTokenizer from "llama-tokenizer-js";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import type { Embedder } from "../src/engine/Embedder.js";
import { Engine } from "../src/engine/Engine.js";
import { AbortedError, QueueFullError } from "../src/engine/engineErrors.js";
import type { SamplingParams, StepRecord } from "../src/engine/types.js";
import { RequestTimeoutError, type ApiError } from "../src/errors/ApiError.js";
import { apiErrorOf } from "../src/serving/apiErrorOf.js";
import { assertOpenAiShape } from "./helpers/assertOpenAiShape.js";
import { MODEL_ID, postJson, startTestServer, tinyModelPath, type TestServer } from "./helpers/testServer.js";
import { waitUntil } from "./helpers/waitUntil.js";
import { generatedModel } from "./helpers/generatedModel.js";

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
    embeddingPath = generatedModel("tiny-embedder.gguf", { shape: "tiny", type: "f32", seed: 2, name: "tiny-embedder" });
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

describe("embeddings between the decode steps", () => {
  let engine: Engine;
  let embedder: Embedder;
  const chunk = 16;
  before(async () => {
    engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 1, threads: 1, contextSize: 2048, prefillChunk: chunk, queue: { maxQueue: 1 } });
    embedder = await engine.embedder();
  });
  after(async () => {
    await engine.dispose();
  });

  const words = (n: number): string => Array.from({ length: n }, (_, i) => ["tide", "ember", "quartz", "willow"][i % 4]).join(" ");
  const longInput = (): number[] => engine.tokenize(words(500), false);
  const sampling: SamplingParams = {
    temperature: 0.8, topK: 0, topP: 1, minP: 0, seed: 3, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1,
    logitBias: new Map([[2, -100]]),
  };

  test("an input evaluated in chunks gets node-llama-cpp's one-evaluation vector (guards the internals it uses)", async () => {
    // three chunks; a much longer input differs from one evaluation only by rounding (cosine 0.99997 at 1 000
    // tokens on this random-weight model), as any other split of a batch does in llama.cpp
    const input = engine.tokenize(words(20), false);
    assert.ok(embedder.inputTokens(input).length > 2 * chunk);
    const { vectors } = await engine.embed(embedder, [input]);
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
    try {
      const model = await llama.loadModel({ modelPath: tinyModelPath() });
      const context = await model.createEmbeddingContext({ contextSize: 2048, threads: 1 });
      const { vector } = await context.getEmbeddingFor(input as Token[]);
      const norm = Math.hypot(...vector);
      assert.deepEqual(vectors[0], vector.map((value) => value / norm));
    } finally {
      await llama.dispose();
    }
  });

  test("a long input while a stream decodes: the stream gets a token in every step that evaluates a chunk of it", async () => {
    const steps: StepRecord[] = [];
    const stop = engine.observeSteps((step) => steps.push(step));
    try {
      const stream = (async () => {
        for await (const event of engine.generate({ promptTokens: engine.promptTokens("Once upon a time", false), maxTokens: 200, sampling, stop: [] })) {
          if (event.type === "done") return event;
        }
        throw new Error("no done event");
      })();
      await waitUntil(() => engine.stats().slots.decode > 0, "a slot decodes");
      const before = engine.stats().counters.embeddingTokens;
      const input = longInput();
      const { vectors } = await engine.embed(embedder, [input]);
      assert.equal(vectors.length, 1);
      const evaluated = embedder.inputTokens(input).length;
      // the last chunk's step is recorded right after the vectors are handed over
      const deadline = Date.now() + 10_000;
      while (engine.stats().counters.embeddingTokens - before < evaluated && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(engine.stats().counters.embeddingTokens - before, evaluated);
      const withInput = steps.filter((step) => step.embedding > 0);
      assert.ok(withInput.length >= Math.ceil(evaluated / chunk), `${withInput.length} steps for ${evaluated} tokens`);
      for (const step of withInput) {
        assert.ok(step.embedding <= chunk, "at most one chunk per step");
        assert.deepEqual(step.decode, [0], "the stream sampled a token in that step");
      }
      assert.equal((await stream).usage.completionTokens, 200);
    } finally {
      stop();
    }
  });

  test("a full embeddings queue refuses at once with 503 and Retry-After; cancellation frees the queue place and the lane", async () => {
    const input = longInput();
    const running = new AbortController();
    const waiting = new AbortController();
    const first = engine.embed(embedder, [input], running.signal).catch((error: unknown) => error);
    const second = engine.embed(embedder, [input], waiting.signal).catch((error: unknown) => error);
    const refused = await engine.embed(embedder, [input]).catch((error: unknown) => error);
    assert.ok(refused instanceof QueueFullError);
    const api = apiErrorOf(refused) as ApiError;
    assert.deepEqual([api.status, api.code, api.headers["Retry-After"]], [503, "server_overloaded", "1"]);

    const queued = engine.stats().queued;
    waiting.abort();
    assert.ok((await second) instanceof AbortedError);
    assert.equal(engine.stats().queued, queued - 1, "the waiting request left the queue at once");
    const before = engine.stats().counters.embeddingTokens;
    await waitUntil(() => engine.stats().counters.embeddingTokens !== before, "the input is being evaluated");
    running.abort(new RequestTimeoutError(1000));
    const outcome = await first;
    assert.ok(outcome instanceof AbortedError);
    assert.equal((apiErrorOf(outcome) as ApiError).status, 504, "the deadline's reason is kept");
    assert.ok(engine.stats().counters.embeddingTokens - before < embedder.inputTokens(input).length, "its evaluation stopped early");
    const { vectors } = await engine.embed(embedder, [[1, 2, 3]]);
    assert.equal(vectors.length, 1, "the lane is free again");
  });
});
