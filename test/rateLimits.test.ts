import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { ApiKeyRegistry } from "../src/server/ApiKeyRegistry.js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";

let server: TestServer;
let now = 1_000_000; // the keys' clock: frozen, moved by the tests
before(async () => {
  const keys = new ApiKeyRegistry(
    [
      { name: "meter", key: "sk-meter", rpm: 3, tpm: 100_000 },
      { name: "rpm", key: "sk-rpm", rpm: 2 },
      { name: "tpm", key: "sk-tpm", tpm: 100 },
      { name: "stream", key: "sk-stream", tpm: 10_000 },
      { name: "free", key: "sk-free" },
    ],
    () => now,
  );
  server = await startTestServer({ parallel: 1, apiKeys: keys });
});
after(async () => {
  await server.close();
});

const messages = [{ role: "user" as const, content: "Hi" }];

async function metric(name: string, key: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{key="${key}"} `));
  assert.ok(line, `${name} for ${key} in /metrics`);
  return Number(line.split(" ")[1]);
}

test("every response to a limited key carries OpenAI's x-ratelimit-* headers, as the official client reads them", async () => {
  const client = server.client("/v1", "sk-meter");
  const { data, response } = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 3 }).withResponse();
  const headers = Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("x-ratelimit-")));
  assert.deepEqual(headers, {
    "x-ratelimit-limit-requests": "3",
    "x-ratelimit-remaining-requests": "2",
    "x-ratelimit-reset-requests": "20s",
    "x-ratelimit-limit-tokens": "100000",
    // settled to what the request used before the response was sent
    "x-ratelimit-remaining-tokens": String(100_000 - data.usage!.total_tokens),
    // full again once the tokens used have come back, at 100000 a minute (a few ms)
    "x-ratelimit-reset-tokens": `${Math.ceil((data.usage!.total_tokens * 60_000) / 100_000)}ms`,
  });
  // other routes too, and errors
  const models = await client.models.list().withResponse();
  assert.equal(models.response.headers.get("x-ratelimit-remaining-requests"), "1");
  const missing = await postJson(`${server.url}/v1/chat/completions`, { model: "nope", messages }, { Authorization: "Bearer sk-meter" });
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("x-ratelimit-remaining-requests"), "0");
  assert.equal(missing.headers.get("x-ratelimit-reset-requests"), "1m0s");
  // a key without limits gets no limit headers; a request without a key gets none either
  const free = await server.client("/v1", "sk-free").models.list().withResponse();
  assert.equal(free.response.headers.get("x-ratelimit-limit-requests"), null);
  assert.equal((await fetch(`${server.url}/v1/models`)).headers.get("x-ratelimit-limit-requests"), null);
});

test("over its requests per minute a key gets 429 rate_limit_exceeded with Retry-After (the client's RateLimitError); a minute later it works again", async () => {
  const client = server.client("/v1", "sk-rpm");
  await client.models.list();
  await client.models.list();
  await assert.rejects(client.models.list(), (error: unknown) => {
    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.equal(error.status, 429);
    assert.equal(error.code, "rate_limit_exceeded");
    assert.equal(error.type, "requests");
    assert.equal(error.headers.get("retry-after"), "30");
    assert.equal(error.headers.get("retry-after-ms"), "30000");
    assert.equal(error.headers.get("x-ratelimit-remaining-requests"), "0");
    assert.doesNotMatch(error.message, /sk-rpm/, "the key is never echoed");
    return true;
  });
  // the other keys are not affected
  await server.client("/v1", "sk-free").models.list();
  now += 30_000;
  await client.models.list();
  assert.equal(await metric("hermes_key_requests_total", "rpm"), 3);
  assert.equal(await metric("hermes_key_rate_limited_total", "rpm"), 1);
});

test("tokens per minute: prompt plus max_tokens are reserved at admission and settled to the usage; too many is a 429 before anything is generated", async () => {
  const client = server.client("/v1", "sk-tpm");
  const first = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 2 }).withResponse();
  const used = first.data.usage!.total_tokens;
  const prompt = first.data.usage!.prompt_tokens;
  const remaining = 100 - used;
  assert.equal(first.response.headers.get("x-ratelimit-remaining-tokens"), String(remaining));
  const generated = server.engine.stats().counters.generatedTokens;
  // one token more than what remains
  await assert.rejects(client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: remaining - prompt + 1 }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.equal(error.type, "tokens");
    assert.equal(error.headers.get("retry-after-ms"), "600"); // one token comes back every 600 ms at 100 per minute
    assert.equal(error.headers.get("retry-after"), "1");
    return true;
  });
  // more than the limit itself can never pass: no Retry-After
  await assert.rejects(client.completions.create({ model: MODEL_ID, prompt: "Hi", max_tokens: 200 }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.match(error.message, /too large/);
    assert.equal(error.headers.get("retry-after"), null);
    return true;
  });
  // a stream is refused with the same plain 429 before its first chunk
  await assert.rejects(client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: remaining, stream: true }), (error: unknown) => error instanceof OpenAI.RateLimitError);
  assert.equal(server.engine.stats().counters.generatedTokens, generated, "nothing ran for the refused requests");
  // exactly what remains fits, and the refused requests took nothing
  const fits = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: remaining - prompt }).withResponse();
  assert.equal(fits.response.headers.get("x-ratelimit-remaining-tokens"), String(remaining - fits.data.usage!.total_tokens));
  assert.equal(await metric("hermes_key_prompt_tokens_total", "tpm"), prompt * 2);
  assert.equal(await metric("hermes_key_completion_tokens_total", "tpm"), first.data.usage!.completion_tokens + fits.data.usage!.completion_tokens);
  now += 60_000;
});

test("a stream reserves its tokens while it runs; a client that leaves mid-stream gets back what was not used", async () => {
  const client = server.client("/v1", "sk-stream");
  const { data: stream, response } = await client.chat.completions
    .create({ model: MODEL_ID, messages, max_tokens: 2000, stream: true, temperature: 1, logit_bias: { "2": -100 } })
    .withResponse();
  const reservedLeft = Number(response.headers.get("x-ratelimit-remaining-tokens"));
  assert.ok(reservedLeft <= 10_000 - 2000, `the whole budget is held while the stream runs (${reservedLeft} left)`);
  let pieces = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta.content) pieces++;
    if (pieces === 3) break; // the client leaves
  }
  // the key's tokens are settled when the server notices the client left: wait for it, bounded
  const deadline = Date.now() + 30_000;
  while ((await metric("hermes_key_completion_tokens_total", "stream")) === 0) {
    assert.ok(Date.now() < deadline, "the abandoned stream was settled");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const after = await client.models.list().withResponse();
  const left = Number(after.response.headers.get("x-ratelimit-remaining-tokens"));
  const charged = 10_000 - left;
  assert.ok(charged >= (await metric("hermes_key_prompt_tokens_total", "stream")) + 3, `charged ${charged}: the prompt and the pieces sent`);
  assert.ok(charged < 2000, `charged ${charged}: not the whole budget`);
});
