import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import { assertOpenAiShape as validate } from "./helpers/assertOpenAiShape.js";
import { MODEL_ID, startTestServer, tinyModelPath, type TestServer } from "./helpers/testServer.js";

const messages = [{ role: "user" as const, content: "Write a story about a lighthouse keeper." }];
const utf8 = (bytes: number[]): string => Buffer.from(bytes).toString("utf8");

let server: TestServer;
before(async () => {
  server = await startTestServer({ parallel: 4 });
});
after(async () => {
  await server.close();
});

describe("n choices", () => {
  test("chat: n choices with their own indexes, distinct, reproducible with a seed; usage counts the prompt once", async () => {
    const client = server.client();
    const request = { model: MODEL_ID, messages, n: 3, max_tokens: 12, seed: 42 };
    const first = await client.chat.completions.create(request);
    validate("CreateChatCompletionResponse", first);
    assert.deepEqual(first.choices.map((c) => c.index), [0, 1, 2]);
    const texts = first.choices.map((c) => c.message.content);
    assert.equal(new Set(texts).size, 3, "independent samples");
    const again = await client.chat.completions.create(request);
    assert.deepEqual(again.choices.map((c) => c.message.content), texts);
    // choice j samples with seed + j: a single request with seed 43 is choice 1
    const single = await client.chat.completions.create({ ...request, n: 1, seed: 43 });
    assert.equal(single.choices[0]?.message.content, texts[1]);
    const completionTokens = first.choices.length * 12;
    assert.equal(first.usage?.completion_tokens, completionTokens);
    assert.equal(first.usage?.prompt_tokens, single.usage?.prompt_tokens);
    assert.equal(first.usage?.total_tokens, (first.usage?.prompt_tokens ?? 0) + completionTokens);
  });

  test("chat streaming: every choice gets its role delta first, its content, and one finish_reason, interleaved by index", async () => {
    const stream = await server.client().chat.completions.create({
      model: MODEL_ID,
      messages,
      n: 3,
      max_tokens: 10,
      seed: 42,
      stream: true,
      stream_options: { include_usage: true },
    });
    const seen = new Map<number, string[]>();
    const contents = ["", "", ""];
    let usage;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        const events = seen.get(choice.index) ?? [];
        if (choice.delta.role) events.push("role");
        if (choice.delta.content) {
          events.push("content");
          contents[choice.index] += choice.delta.content;
        }
        if (choice.finish_reason) events.push(`finish:${choice.finish_reason}`);
        seen.set(choice.index, events);
      }
    }
    assert.deepEqual([...seen.keys()].sort(), [0, 1, 2]);
    for (const events of seen.values()) {
      assert.equal(events[0], "role");
      assert.deepEqual(events.filter((e) => e.startsWith("finish")), ["finish:length"]);
      assert.equal(events.at(-1), "finish:length");
    }
    const whole = await server.client().chat.completions.create({ model: MODEL_ID, messages, n: 3, max_tokens: 10, seed: 42 });
    assert.deepEqual(contents, whole.choices.map((c) => c.message.content));
    assert.equal(usage?.completion_tokens, 30);
  });

  test("completions: n choices per prompt, indexed prompt × n + j; the prompt is evaluated once and copied", async () => {
    const prompt = `The lighthouse keeper ${"watched the grey sea roll in under the evening sky, ".repeat(6)}`;
    const before = server.engine.stats().counters;
    const response = await server.client().completions.create({ model: MODEL_ID, prompt: [prompt, "Short one"], n: 2, max_tokens: 5, seed: 7 });
    const after = server.engine.stats().counters;
    assert.deepEqual(response.choices.map((c) => c.index), [0, 1, 2, 3]);
    assert.notEqual(response.choices[0]?.text, response.choices[1]?.text);
    const longTokens = server.engine.promptTokens(prompt, true).length;
    // the second choice of the long prompt copied it from the first one's slot
    assert.ok(after.copiedTokens - before.copiedTokens >= longTokens - 2, `copied ${after.copiedTokens - before.copiedTokens} of ${longTokens}`);
    assert.ok(after.prefillTokens - before.prefillTokens < 2 * longTokens);
    const shortTokens = server.engine.promptTokens("Short one", true).length;
    assert.equal(response.usage?.prompt_tokens, longTokens + shortTokens);
    assert.equal(response.usage?.completion_tokens, 20);
  });

  test("completions best_of: the n candidates with the highest mean logprob per token, usage counting all of them", async () => {
    const request = { model: MODEL_ID, prompt: "The keeper climbed the stairs", max_tokens: 6, seed: 21 };
    const all = await server.client().completions.create({ ...request, n: 4, logprobs: 0 });
    const mean = (c: (typeof all.choices)[number]): number => c.logprobs!.token_logprobs!.reduce((s: number, v) => s + (v ?? 0), 0) / c.logprobs!.token_logprobs!.length;
    const ranked = [...all.choices].sort((a, b) => mean(b) - mean(a));
    const best = await server.client().completions.create({ ...request, n: 2, best_of: 4 });
    assert.deepEqual(best.choices.map((c) => c.index), [0, 1]);
    assert.deepEqual(best.choices.map((c) => c.text), ranked.slice(0, 2).map((c) => c.text));
    assert.equal(best.choices[0]!.logprobs, null, "logprobs only when asked for");
    assert.equal(best.usage?.completion_tokens, all.usage?.completion_tokens);
  });
});

describe("chat logprobs", () => {
  test("greedy: the sampled token is the first of its top_logprobs, with the same logprob; bytes spell the content", async () => {
    const response = await server.client().chat.completions.create({
      model: MODEL_ID,
      messages,
      max_tokens: 16,
      temperature: 0,
      logprobs: true,
      top_logprobs: 5,
    });
    validate("CreateChatCompletionResponse", response);
    const choice = response.choices[0]!;
    const content = choice.logprobs?.content ?? [];
    assert.equal(content.length, 16);
    assert.equal(utf8(content.flatMap((t) => t.bytes ?? [])), choice.message.content);
    for (const token of content) {
      assert.equal(token.top_logprobs.length, 5);
      assert.equal(token.top_logprobs[0]?.token, token.token);
      assert.equal(token.top_logprobs[0]?.logprob, token.logprob);
      const values = token.top_logprobs.map((t) => t.logprob);
      assert.deepEqual(values, [...values].sort((a, b) => b - a));
      assert.ok(values.every((v) => v <= 0));
      assert.ok(values.reduce((sum, v) => sum + Math.exp(v), 0) <= 1 + 1e-9);
      if (!token.token.includes("\uFFFD")) assert.equal(utf8(token.bytes ?? []), token.token);
    }
  });

  test("sampled at temperature 1: logprobs of the distribution sampled from; a sampled token found among the alternatives has their value", async () => {
    const response = await server.client().chat.completions.create({
      model: MODEL_ID,
      messages,
      max_tokens: 24,
      seed: 3,
      logprobs: true,
      top_logprobs: 20,
    });
    const content = response.choices[0]?.logprobs?.content ?? [];
    assert.equal(content.length, 24);
    for (const token of content) {
      assert.ok(token.logprob <= 0);
      assert.equal(token.top_logprobs.length, 20);
      assert.ok(token.top_logprobs.reduce((sum, t) => sum + Math.exp(t.logprob), 0) <= 1 + 1e-9);
      assert.ok(token.logprob <= token.top_logprobs[0]!.logprob);
      const same = token.top_logprobs.find((t) => t.token === token.token);
      if (same) assert.ok(Math.abs(same.logprob - token.logprob) < 1e-9);
    }
    // logprobs: true alone reports the sampled tokens without alternatives, and changes nothing else
    const plain = await server.client().chat.completions.create({ model: MODEL_ID, messages, max_tokens: 24, seed: 3, logprobs: true });
    assert.equal(plain.choices[0]?.message.content, response.choices[0]?.message.content);
    assert.ok(plain.choices[0]?.logprobs?.content?.every((t) => t.top_logprobs.length === 0));
    assert.deepEqual(plain.choices[0]?.logprobs?.content?.map((t) => t.logprob), content.map((t) => t.logprob));
  });

  test("after top-k the distribution sampled from is the k kept tokens, renormalised: the sampled token is one of them", async () => {
    const response = await server.client().chat.completions.create({
      model: MODEL_ID,
      messages,
      max_tokens: 12,
      seed: 9,
      logprobs: true,
      top_logprobs: 5,
      ...{ top_k: 3 }, // the hosted API's extension
    });
    for (const token of response.choices[0]?.logprobs?.content ?? []) {
      assert.equal(token.top_logprobs.length, 3);
      assert.ok(Math.abs(token.top_logprobs.reduce((sum, t) => sum + Math.exp(t.logprob), 0) - 1) < 1e-5);
      assert.equal(token.top_logprobs.find((t) => t.token === token.token)?.logprob, token.logprob);
    }
  });

  test("streamed: each chunk carries the logprobs of the tokens whose text it carries", async () => {
    const request = { model: MODEL_ID, messages, max_tokens: 16, temperature: 0, logprobs: true, top_logprobs: 2 };
    const whole = await server.client().chat.completions.create(request);
    const stream = await server.client().chat.completions.create({ ...request, stream: true });
    const streamed: unknown[] = [];
    for await (const chunk of stream) {
      validate("CreateChatCompletionStreamResponse", chunk);
      const choice = chunk.choices[0];
      if (!choice?.delta.content) {
        assert.equal(choice?.logprobs ?? null, null);
        continue;
      }
      const tokens = choice.logprobs?.content ?? [];
      assert.equal(utf8(tokens.flatMap((t) => t.bytes ?? [])), choice.delta.content);
      streamed.push(...tokens);
    }
    assert.deepEqual(streamed, whole.choices[0]?.logprobs?.content);
  });
});

describe("completions logprobs and echo", () => {
  test("legacy shape: parallel lists, each top_logprobs holds the token; at temperature 0 the token is the most likely", async () => {
    const response = await server.client().completions.create({ model: MODEL_ID, prompt: "Once upon a time", max_tokens: 8, temperature: 0, logprobs: 3 });
    validate("CreateCompletionResponse", response);
    const logprobs = response.choices[0]?.logprobs;
    assert.ok(logprobs);
    const { tokens = [], token_logprobs = [], top_logprobs = [], text_offset = [] } = logprobs;
    assert.equal(tokens.length, 8);
    assert.deepEqual([token_logprobs.length, top_logprobs.length, text_offset.length], [8, 8, 8]);
    assert.equal(tokens.join(""), response.choices[0]?.text);
    tokens.forEach((token, i) => {
      const top = top_logprobs[i] as Record<string, number>;
      assert.equal(top[token], token_logprobs[i]);
      assert.equal(Math.max(...Object.values(top)), token_logprobs[i]);
      assert.ok(Object.keys(top).length <= 4);
      if (i > 0) assert.equal(text_offset[i], text_offset[i - 1]! + tokens[i - 1]!.length);
    });
  });

  test("echo with max_tokens 0 scores the prompt: raw-model logprobs equal to a plain evaluation's log-softmax", async () => {
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
    try {
      const model = await llama.loadModel({ modelPath: tinyModelPath() });
      const prompt = [1, ...model.tokenize("Question: where does the river go?\nAnswer: to the sea")];
      const response = await server.client().completions.create({ model: MODEL_ID, prompt, max_tokens: 0, echo: true, logprobs: 1 });
      const choice = response.choices[0]!;
      assert.equal(choice.finish_reason, "length");
      assert.equal(choice.text, model.detokenize(prompt as Token[]));
      assert.equal(response.usage?.completion_tokens, 0);
      const logprobs = choice.logprobs!;
      assert.equal(logprobs.tokens?.length, prompt.length);
      assert.equal(logprobs.token_logprobs?.[0], null);
      assert.equal(logprobs.top_logprobs?.[0], null);
      // the reference: full logits of every position, log-softmax in float64
      const context = await model.createContext({ sequences: 1, contextSize: 256, threads: 1 });
      const outputs = await context.getSequence().controlledEvaluate(
        prompt.slice(0, -1).map((token) => [token as Token, { generateNext: { logits: true, options: { temperature: 0 } } }]),
      );
      for (let i = 1; i < prompt.length; i++) {
        const logits = [...outputs[i - 1]!.next.logits!.entries()];
        const max = Math.max(...logits.map(([, l]) => l));
        const logSumExp = max + Math.log(logits.reduce((sum, [, l]) => sum + Math.exp(l - max), 0));
        const expected = new Map(logits).get(prompt[i] as Token)! - logSumExp;
        assert.ok(Math.abs(logprobs.token_logprobs![i]! - expected) < 1e-3, `token ${i}: ${logprobs.token_logprobs![i]} vs ${expected}`);
        const top = logprobs.top_logprobs![i] as Record<string, number>;
        assert.ok(Math.abs(Math.max(...Object.values(top)) - (max - logSumExp)) < 1e-3, "the most likely token's logprob");
      }
    } finally {
      await llama.dispose();
    }
  });

  test("echo with generation: the prompt's tokens, then the generated ones; streamed the same, the prompt's chunk first", async () => {
    const request = { model: MODEL_ID, prompt: "The sea was calm", max_tokens: 6, temperature: 0, echo: true, logprobs: 2 } as const;
    const whole = await server.client().completions.create(request);
    const choice = whole.choices[0]!;
    const promptLength = server.engine.promptTokens("The sea was calm", true).length;
    assert.equal(choice.logprobs?.tokens?.length, promptLength + 6);
    assert.ok(choice.text.startsWith("The sea was calm"));
    assert.equal(choice.logprobs?.text_offset?.[promptLength], "The sea was calm".length);
    const stream = await server.client().completions.create({ ...request, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks[0]?.choices[0]?.text, "The sea was calm");
    assert.equal(chunks[0]?.choices[0]?.logprobs?.tokens?.length, promptLength);
    const joined = { tokens: [] as string[], token_logprobs: [] as Array<number | null>, text_offset: [] as number[] };
    for (const chunk of chunks) {
      const logprobs = chunk.choices[0]?.logprobs;
      if (!logprobs) continue;
      joined.tokens.push(...(logprobs.tokens ?? []));
      joined.token_logprobs.push(...(logprobs.token_logprobs ?? []));
      joined.text_offset.push(...(logprobs.text_offset ?? []));
    }
    assert.deepEqual(joined, { tokens: choice.logprobs?.tokens, token_logprobs: choice.logprobs?.token_logprobs, text_offset: choice.logprobs?.text_offset });
    assert.equal(chunks.map((c) => c.choices[0]?.text ?? "").join(""), choice.text);
  });
});
