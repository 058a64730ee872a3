import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import llamaTokenizer from "llama-tokenizer-js";
import { API_PREFIXES } from "../src/server/createApp.js";
import { assertOpenAiShape as validate } from "./helpers/assertOpenAiShape.js";
import { MODEL_ID, postJson, readSseEvents, startTestServer, type TestServer } from "./helpers/testServer.js";

const messages = [
  { role: "system" as const, content: "Act like you are a helpful assistant." },
  { role: "user" as const, content: "Hi there!" },
];
/** The Alpaca rendering of `messages`, as the model card defines it. */
const goldenPrompt = "Act like you are a helpful assistant.\n\n### Instruction:\nHi there!\n\n### Response:\n";

let server: TestServer;
before(async () => {
  server = await startTestServer({ parallel: 2 });
});
after(async () => {
  await server.close();
});

describe("chat completions", () => {
  for (const prefix of API_PREFIXES) {
    test(`non-streamed, under ${prefix}: the hosted API's shape, valid against OpenAI's schema`, async () => {
      const response = await server.client(prefix).chat.completions.create({ model: MODEL_ID, messages, max_tokens: 8, temperature: 0 });
      validate("CreateChatCompletionResponse", response);
      assert.match(response.id, /^chat-[0-9a-f]{32}$/);
      assert.equal(response.object, "chat.completion");
      assert.equal(response.model, MODEL_ID);
      assert.equal(response.system_fingerprint, "");
      const choice = response.choices[0] as unknown as Record<string, unknown>;
      assert.deepEqual(Object.keys(choice), ["index", "message", "logprobs", "finish_reason", "content_filter_results"]);
      assert.deepEqual(choice.content_filter_results, {
        hate: { filtered: false },
        self_harm: { filtered: false },
        sexual: { filtered: false },
        violence: { filtered: false },
        jailbreak: { filtered: false, detected: false },
        profanity: { filtered: false, detected: false },
      });
      assert.equal(typeof response.choices[0]?.message.content, "string");
    });

    test(`streamed, under ${prefix}: chunks valid against OpenAI's schema, joined text equal to the non-streamed text`, async () => {
      const client = server.client(prefix);
      const whole = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 12, temperature: 0 });
      const stream = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 12, temperature: 0, stream: true });
      let text = "";
      const ids = new Set<string>();
      for await (const chunk of stream) {
        validate("CreateChatCompletionStreamResponse", chunk);
        ids.add(chunk.id);
        text += chunk.choices[0]?.delta.content ?? "";
      }
      assert.equal(ids.size, 1);
      assert.equal(text, whole.choices[0]?.message.content);
    });
  }

  test("the same seed gives the same text at temperature 0.8, streamed or not; another seed gives another text", async () => {
    const client = server.client();
    const run = async (seed: number) =>
      (await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 16, temperature: 0.8, seed })).choices[0]?.message.content;
    const a = await run(11);
    assert.equal(await run(11), a);
    assert.notEqual(await run(12), a);
    const stream = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 16, temperature: 0.8, seed: 11, stream: true });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    assert.equal(streamed, a);
  });

  test("max_tokens ends with finish_reason length and exactly max_tokens completion tokens; usage adds up", async () => {
    const response = await server.client().chat.completions.create({
      model: MODEL_ID,
      messages,
      max_tokens: 7,
      temperature: 0,
      logit_bias: { "2": -100 },
    });
    assert.equal(response.choices[0]?.finish_reason, "length");
    assert.equal(response.usage?.completion_tokens, 7);
    assert.equal(response.usage?.total_tokens, (response.usage?.prompt_tokens ?? 0) + 7);
  });

  test("logit_bias reaches the end-of-sequence token too: +100 on </s> ends the answer at once", async () => {
    const response = await server.client().chat.completions.create({ model: MODEL_ID, messages, max_tokens: 20, logit_bias: { "2": 100 } });
    assert.equal(response.choices[0]?.message.content, "");
    assert.equal(response.choices[0]?.finish_reason, "stop");
    assert.equal(response.usage?.completion_tokens, 1);
  });

  test("logit_bias -100 bans a token; +100 forces it", async () => {
    const client = server.client();
    const free = await client.completions.create({ model: MODEL_ID, prompt: "Hello", max_tokens: 1, temperature: 0 });
    const first = llamaTokenizer.encode(free.choices[0]?.text ?? "", false, false)[0];
    assert.ok(first !== undefined);
    const banned = await client.completions.create({ model: MODEL_ID, prompt: "Hello", max_tokens: 1, temperature: 0, logit_bias: { [first]: -100 } });
    assert.notEqual(banned.choices[0]?.text, free.choices[0]?.text);
    const forced = await client.completions.create({ model: MODEL_ID, prompt: "Hello", max_tokens: 3, logit_bias: { "15043": 100 } });
    assert.equal(forced.choices[0]?.text, " Hello Hello Hello");
  });

  test("prompt_tokens is the tokenizer's count of the golden Alpaca prompt, BOS included", async () => {
    const response = await server.client().chat.completions.create({ model: MODEL_ID, messages, max_tokens: 1 });
    assert.equal(response.usage?.prompt_tokens, llamaTokenizer.encode(goldenPrompt, true, true).length);
  });

  test("a stop string cuts the text before it and never appears in it", async () => {
    const client = server.client();
    const free = (await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 24, temperature: 0 })).choices[0]?.message.content ?? "";
    const stop = free.slice(Math.floor(free.length / 2), Math.floor(free.length / 2) + 3);
    assert.ok(stop.length === 3, `the free text is long enough: ${JSON.stringify(free)}`);
    const cut = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 24, temperature: 0, stop });
    const expected = free.slice(0, free.indexOf(stop));
    assert.equal(cut.choices[0]?.message.content, expected);
    assert.equal(cut.choices[0]?.finish_reason, "stop");
    const stream = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 24, temperature: 0, stop: [stop], stream: true });
    let streamed = "";
    let finish: string | null | undefined = null;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(streamed, expected);
    assert.equal(finish, "stop");
  });

  test("a shared prefix is reported as cached tokens", async () => {
    const client = server.client();
    await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 1, temperature: 0 });
    const again = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 1, temperature: 0 });
    assert.ok((again.usage?.prompt_tokens_details?.cached_tokens ?? 0) >= (again.usage?.prompt_tokens ?? 0) - 1);
  });
});

describe("text completions", () => {
  for (const prefix of API_PREFIXES) {
    test(`non-streamed and streamed under ${prefix}`, async () => {
      const client = server.client(prefix);
      const whole = await client.completions.create({ model: MODEL_ID, prompt: "Once upon a time", max_tokens: 10, temperature: 0 });
      validate("CreateCompletionResponse", whole);
      assert.match(whole.id, /^cmpl-[0-9a-f]{32}$/);
      assert.equal(whole.object, "text_completion");
      assert.equal(whole.usage?.prompt_tokens, llamaTokenizer.encode("Once upon a time", true, true).length);
      const stream = await client.completions.create({ model: MODEL_ID, prompt: "Once upon a time", max_tokens: 10, temperature: 0, stream: true });
      let text = "";
      for await (const chunk of stream) {
        // OpenAI's schema shares this shape with streamed chunks, whose finish_reason is null until the last one
        // (as OpenAI itself streams it); everything else must validate
        const finished = chunk.choices.map((c) => ({ ...c, finish_reason: c.finish_reason ?? "stop" }));
        validate("CreateCompletionResponse", { ...chunk, choices: finished });
        text += chunk.choices[0]?.text ?? "";
      }
      assert.equal(text, whole.choices[0]?.text);
    });
  }

  test("max_tokens defaults to 16, as OpenAI's completions endpoint does", async () => {
    const response = await server.client().completions.create({ model: MODEL_ID, prompt: "x", temperature: 0, logit_bias: { "2": -100 } });
    assert.equal(response.usage?.completion_tokens, 16);
    assert.equal(response.choices[0]?.finish_reason, "length");
  });

  test("an array of prompts gives one choice per prompt, in order, with usage summed", async () => {
    const client = server.client();
    const prompts = ["The sky is", "Llamas are"];
    const both = await client.completions.create({ model: MODEL_ID, prompt: prompts, max_tokens: 6, temperature: 0 });
    assert.deepEqual(both.choices.map((c) => c.index), [0, 1]);
    for (const [index, prompt] of prompts.entries()) {
      const alone = await client.completions.create({ model: MODEL_ID, prompt, max_tokens: 6, temperature: 0 });
      assert.equal(both.choices[index]?.text, alone.choices[0]?.text);
    }
    const promptTokens = prompts.reduce((n, p) => n + llamaTokenizer.encode(p, true, true).length, 0);
    assert.equal(both.usage?.prompt_tokens, promptTokens);
    assert.equal(both.usage?.total_tokens, promptTokens + (both.usage?.completion_tokens ?? 0));
  });

  test("token-id prompts and echo", async () => {
    const client = server.client();
    const ids = llamaTokenizer.encode("Hello world", true, true);
    const byIds = await client.completions.create({ model: MODEL_ID, prompt: ids, max_tokens: 5, temperature: 0 });
    const byText = await client.completions.create({ model: MODEL_ID, prompt: "Hello world", max_tokens: 5, temperature: 0 });
    assert.equal(byIds.choices[0]?.text, byText.choices[0]?.text);
    const echoed = await client.completions.create({ model: MODEL_ID, prompt: "Hello world", max_tokens: 5, temperature: 0, echo: true });
    assert.equal(echoed.choices[0]?.text, `Hello world${byText.choices[0]?.text}`);
  });
});

describe("models", () => {
  test("the list carries the model with its context size, under every prefix", async () => {
    for (const prefix of API_PREFIXES) {
      const list = (await (await fetch(`${server.url}${prefix}/models`)).json()) as { data: Array<Record<string, unknown>> };
      validate("ListModelsResponse", list);
      assert.equal(list.data[0]?.id, MODEL_ID);
      assert.equal(list.data[0]?.context_size, server.engine.info.contextSize);
    }
    const model = await server.client().models.retrieve(MODEL_ID);
    validate("Model", model);
    assert.equal(model.id, MODEL_ID);
  });

  test("a request may name the model by its file name", async () => {
    const response = await server.client().chat.completions.create({ model: "tiny-f32", messages, max_tokens: 1 });
    assert.equal(response.model, "tiny-f32");
  });
});

describe("SSE framing, byte for byte", () => {
  test("role delta first, content deltas, one finish_reason, the usage chunk, then [DONE]", async () => {
    const response = await postJson(`${server.url}/v1/chat/completions`, {
      model: MODEL_ID,
      messages,
      max_tokens: 6,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const events = await readSseEvents(response);
    assert.equal(events.at(-1), "[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const first = chunks[0];
    // the content filter's report on the prompt rides on the first chunk only (Azure's prompt_filter_results)
    assert.deepEqual(Object.keys(first), ["id", "object", "created", "model", "choices", "prompt_filter_results", "system_fingerprint", "usage"]);
    assert.deepEqual(first.prompt_filter_results, [{ prompt_index: 0, content_filter_results: first.choices[0].content_filter_results }]);
    assert.ok(chunks.slice(1).every((c) => !("prompt_filter_results" in c)));
    assert.deepEqual(first.choices[0].delta, { role: "assistant" });
    assert.ok(chunks.every((c) => c.id === first.id && c.created === first.created));
    const finishing = chunks.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finishing.length, 1);
    const usageChunk = chunks.at(-1);
    assert.deepEqual(usageChunk.choices, []);
    assert.equal(usageChunk.usage.completion_tokens, 6);
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
    assert.equal(chunks.indexOf(finishing[0]), chunks.length - 2);
    assert.ok(chunks.slice(1, -2).every((c) => typeof c.choices[0].delta.content === "string" && c.choices[0].finish_reason === null));
  });

  test("without include_usage there is no usage field and no usage chunk", async () => {
    const response = await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages, max_tokens: 3, stream: true });
    const events = await readSseEvents(response);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.ok(chunks.every((c) => !("usage" in c) && c.choices.length === 1));
    assert.equal(events.at(-1), "[DONE]");
  });
});

describe("errors: OpenAI's envelope, the right status, and the server keeps answering", () => {
  const expectError = async (response: Response, status: number, code: string | null, param: string | null) => {
    assert.equal(response.status, status);
    const body = (await response.json()) as { error: Record<string, unknown> };
    validate("ErrorResponse", body);
    assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
    assert.equal(body.error.code, code);
    assert.equal(body.error.param, param);
    assert.ok(!String(body.error.message).includes("    at "), "no stack trace");
    const ok = await server.client().chat.completions.create({ model: MODEL_ID, messages, max_tokens: 1 });
    assert.equal(ok.choices.length, 1);
  };

  test("malformed JSON: 400", async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{\"model\": " });
    await expectError(response, 400, "invalid_json", null);
  });

  test("schema violations: 400 naming the parameter", async () => {
    await expectError(await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages, temperature: 3 }), 400, "invalid_value", "temperature");
    await expectError(await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID }), 400, "missing_required_parameter", "messages");
    await expectError(await postJson(`${server.url}/v1/completions`, { model: MODEL_ID, prompt: "x", max_tokens: -1 }), 400, "invalid_value", "max_tokens");
    await expectError(await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages, n: 129 }), 400, "invalid_value", "n");
    await expectError(await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages, top_logprobs: 2 }), 400, "invalid_value", "top_logprobs");
    await expectError(await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages, logprobs: true, top_logprobs: 21 }), 400, "invalid_value", "top_logprobs");
    await expectError(await postJson(`${server.url}/v1/completions`, { model: MODEL_ID, prompt: "x", logprobs: 6 }), 400, "invalid_value", "logprobs");
    await expectError(await postJson(`${server.url}/v1/completions`, { model: MODEL_ID, prompt: "x", max_tokens: 0 }), 400, "invalid_value", "max_tokens");
  });

  test("the official client raises its typed error with our message", async () => {
    await assert.rejects(
      server.client().chat.completions.create({ model: MODEL_ID, messages, top_p: 2 }),
      (error: { status?: number; param?: string }) => error.status === 400 && error.param === "top_p",
    );
  });

  test("unknown model: 404", async () => {
    await expectError(await postJson(`${server.url}/v1/chat/completions`, { model: "gpt-4", messages }), 404, "model_not_found", "model");
    await expectError(await fetch(`${server.url}/v1/models/gpt-4`), 404, "model_not_found", "model");
  });

  test("unknown route: 404", async () => {
    await expectError(await fetch(`${server.url}/v1/engines`), 404, "not_found", null);
    await expectError(await postJson(`${server.url}/v2/chat/completions`, {}), 404, "not_found", null);
  });

  test("prompt plus max_tokens beyond the context: 400 context_length_exceeded", async () => {
    const contextSize = server.engine.info.contextSize;
    await expectError(
      await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages, max_tokens: contextSize }),
      400,
      "context_length_exceeded",
      "max_tokens",
    );
    await expectError(
      await postJson(`${server.url}/v1/completions`, { model: MODEL_ID, prompt: "word ".repeat(contextSize), max_tokens: 1 }),
      400,
      "context_length_exceeded",
      "max_tokens",
    );
    await expectError(
      await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages: [{ role: "user", content: "word ".repeat(contextSize) }] }),
      400,
      "context_length_exceeded",
      "messages",
    );
  });

  test("a streamed request that fails before any output gets a plain error status, not a stream", async () => {
    const contextSize = server.engine.info.contextSize;
    const response = await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages, max_tokens: contextSize, stream: true });
    await expectError(response, 400, "context_length_exceeded", "max_tokens");
  });
});
