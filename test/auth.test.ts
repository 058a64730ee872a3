import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";

let server: TestServer;
before(async () => {
  server = await startTestServer({ parallel: 1, apiKey: "sk-test-key", bodyLimitBytes: 64 * 1024 });
});
after(async () => {
  await server.close();
});

const body = { model: MODEL_ID, messages: [{ role: "user", content: "Hi" }], max_tokens: 2 };

test("with --api-key, a missing or wrong key is a 401 in OpenAI's envelope, on every API route", async () => {
  for (const headers of [{}, { Authorization: "Bearer wrong" }, { Authorization: "sk-test-key" }] as Array<Record<string, string>>) {
    const response = await postJson(`${server.url}/v1/chat/completions`, body, headers);
    assert.equal(response.status, 401);
    const error = ((await response.json()) as { error: Record<string, unknown> }).error;
    assert.equal(error.code, "invalid_api_key");
    assert.equal(error.type, "invalid_request_error");
  }
  assert.equal((await fetch(`${server.url}/openai/v1/models`)).status, 401);
  assert.equal((await postJson(`${server.url}/tokenize`, { content: "Hi" })).status, 401);
  assert.equal((await postJson(`${server.url}/detokenize`, { tokens: [1] })).status, 401);
  assert.equal((await postJson(`${server.url}/tokenize`, { content: "Hi" }, { Authorization: "Bearer sk-test-key" })).status, 200);
  // an unknown route is still a 404, not a 401
  assert.equal((await postJson(`${server.url}/v2/nothing`, {})).status, 404);
  await assert.rejects(server.client("/v1", "wrong").models.list(), (e: { status?: number }) => e.status === 401);
});

test("the right key is accepted, by the official client and by curl-style requests", async () => {
  const response = await server.client("/v3/openai", "sk-test-key").chat.completions.create({ ...body, messages: [{ role: "user", content: "Hi" }] });
  assert.equal(response.choices.length, 1);
  assert.equal((await postJson(`${server.url}/v1/chat/completions`, body, { Authorization: "Bearer sk-test-key" })).status, 200);
});

test("/health needs no key, as load balancers probe it", async () => {
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
});

test("a body over the limit is a 413, and the server keeps answering", async () => {
  const big = { ...body, messages: [{ role: "user", content: "x".repeat(100 * 1024) }] };
  const response = await postJson(`${server.url}/v1/chat/completions`, big, { Authorization: "Bearer sk-test-key" });
  assert.equal(response.status, 413);
  assert.equal(((await response.json()) as { error: { code: string } }).error.code, "payload_too_large");
  assert.equal((await postJson(`${server.url}/v1/chat/completions`, body, { Authorization: "Bearer sk-test-key" })).status, 200);
});
