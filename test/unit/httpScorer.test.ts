import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { HttpContinuationScorer, tokenizeBody, tokensOf } from "../../src/eval/HttpContinuationScorer.js";

test("/tokenize: one body both llama-server and vLLM read, and the ids of either's answer", () => {
  const body = tokenizeBody("m", "Hello");
  // llama-server's (hermes-serve's) fields and vLLM's TokenizeCompletionRequest fields
  assert.deepEqual([body.content, body.add_special, body.parse_special], ["Hello", false, false]);
  assert.deepEqual([body.model, body.prompt, body.add_special_tokens], ["m", "Hello", false]);
  assert.deepEqual(tokensOf({ tokens: [15043, 29892] }), [15043, 29892]);
  assert.deepEqual(tokensOf({ tokens: [{ id: 15043, piece: "Hello" }] }), [15043]);
  // vLLM's TokenizeResponse
  assert.deepEqual(tokensOf({ count: 2, max_model_len: 4096, tokens: [15043, 29892], token_strs: null }), [15043, 29892]);
  assert.throws(() => tokensOf({ count: 2 }), /without 'tokens'/);
  assert.throws(() => tokensOf({ tokens: ["a"] }), /not an id/);
});

test("a 503 or 429 (every replica busy, or draining) is retried after its Retry-After; other errors are not", async () => {
  let refusals = 2;
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(request.url!);
    if (request.url === "/v1/models" && refusals-- > 0) {
      response.writeHead(refusals === 1 ? 503 : 429, { "Content-Type": "application/json", "Retry-After": "0" });
      response.end(JSON.stringify({ error: { message: "busy" } }));
      return;
    }
    if (request.url === "/v1/models") {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ data: [{ id: "m" }] }));
      return;
    }
    response.writeHead(400, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ error: { message: "bad request" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const scorer = await HttpContinuationScorer.connect(`http://127.0.0.1:${port}/v1`);
    assert.equal(scorer.model, "m");
    assert.deepEqual(seen, ["/v1/models", "/v1/models", "/v1/models"]);
    await assert.rejects(scorer.tokenize("x"), /400 bad request/);
    assert.equal(seen.length, 4, "a 400 is not retried");
  } finally {
    server.close();
  }
});
