import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import llamaTokenizer from "llama-tokenizer-js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";

let server: TestServer;
before(async () => {
  server = await startTestServer({ parallel: 1 });
});
after(async () => {
  await server.close();
});

async function call(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await postJson(`${server.url}${path}`, body);
  return { status: response.status, json: await response.json() };
}

test("POST /tokenize: Llama-2's token ids; add_special prepends BOS; parse_special reads <s> as the special token", async () => {
  const text = "Hello world, the café is open";
  const plain = await call("/tokenize", { content: text });
  assert.equal(plain.status, 200);
  assert.deepEqual(plain.json.tokens, llamaTokenizer.encode(text, false));
  assert.deepEqual((await call("/tokenize", { content: text, add_special: true })).json.tokens, llamaTokenizer.encode(text, true));
  assert.deepEqual((await call("/tokenize", { content: "<s>Hi" })).json.tokens.slice(0, 1), [1]);
  const literal = (await call("/tokenize", { content: "<s>Hi", parse_special: false })).json.tokens;
  assert.ok(!literal.includes(1) && literal.length > 2, "the text <s> as ordinary pieces");
  // the model field is optional, but when given it must name the served model
  assert.equal((await call("/tokenize", { content: "x", model: MODEL_ID })).status, 200);
  assert.equal((await call("/tokenize", { content: "x", model: "gpt-4" })).status, 404);
});

test("with_pieces: each token's text, or its bytes when a byte token is no character alone", async () => {
  const { json } = await call("/tokenize", { content: "Hi 🙂", with_pieces: true });
  const pieces = json.tokens as Array<{ id: number; piece: string | number[] }>;
  assert.deepEqual(pieces.map((p) => p.id), llamaTokenizer.encode("Hi 🙂", false));
  assert.equal(pieces[0]?.piece, " Hi");
  // 🙂 is not in the vocabulary: four byte tokens, F0 9F 99 82
  assert.deepEqual(pieces.slice(-4).map((p) => p.piece), [[0xf0], [0x9f], [0x99], [0x82]]);
});

test("POST /detokenize: round trip of /tokenize, special tokens as their text; ids outside the vocabulary are a 400", async () => {
  const text = "The quick brown fox jumps over the lazy dog. Ünïcödé 你好 🙂";
  const { json } = await call("/tokenize", { content: text, add_special: true });
  const back = await call("/detokenize", { tokens: json.tokens });
  assert.equal(back.status, 200);
  assert.equal(back.json.content, `<s> ${text}`);
  assert.equal((await call("/detokenize", { tokens: json.tokens.slice(1) })).json.content, text);
  const bad = await call("/detokenize", { tokens: [1, 32000] });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, "tokens[1]");
  assert.equal((await call("/detokenize", { tokens: "abc" })).status, 400);
  assert.equal((await call("/tokenize", {})).json.error.code, "missing_required_parameter");
});
