import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidRequestError } from "../../src/errors/ApiError.js";
import { paramPath, parseRequest } from "../../src/protocol/parseRequest.js";
import { chatCompletionRequestSchema, completionRequestSchema } from "../../src/protocol/requests.js";
import { DEFAULT_COMPLETION_MAX_TOKENS, toChatParams, toCompletionParams } from "../../src/protocol/toGenerationParams.js";

const chat = (extra: Record<string, unknown>) =>
  parseRequest(chatCompletionRequestSchema, { model: "m", messages: [{ role: "user", content: "hi" }], ...extra });

function rejects(fn: () => unknown, param: string | null): void {
  assert.throws(fn, (error: unknown) => error instanceof InvalidRequestError && error.param === param && error.status === 400);
}

test("paramPath names nested parameters as OpenAI does", () => {
  assert.equal(paramPath(["messages", 0, "content"]), "messages[0].content");
  assert.equal(paramPath(["temperature"]), "temperature");
});

test("out-of-range and mistyped parameters are a 400 naming the parameter", () => {
  rejects(() => chat({ temperature: 2.5 }), "temperature");
  rejects(() => chat({ top_p: -0.1 }), "top_p");
  rejects(() => chat({ max_tokens: 0 }), "max_tokens");
  rejects(() => chat({ presence_penalty: 3 }), "presence_penalty");
  rejects(() => chat({ stop: ["a", "b", "c", "d", "e"] }), "stop");
  rejects(() => chat({ seed: 1.5 }), "seed");
  rejects(() => chat({ stream: "yes" }), "stream");
  rejects(() => parseRequest(chatCompletionRequestSchema, { model: "m", messages: [{ role: "wizard", content: "x" }] }), "messages[0].role");
  rejects(() => parseRequest(chatCompletionRequestSchema, { model: "m" }), "messages");
  rejects(() => parseRequest(completionRequestSchema, { model: "m", prompt: 5 }), "prompt");
});

test("unknown fields are accepted and ignored", () => {
  const request = chat({ some_vendor_field: { nested: true } });
  assert.equal(toChatParams(request, 32000).messages.length, 1);
});

test("OpenAI defaults: temperature 1, no top-k or top-p cut, a random seed when none is given", () => {
  const a = toChatParams(chat({}), 32000).sampling;
  const b = toChatParams(chat({}), 32000).sampling;
  assert.deepEqual({ ...a, seed: 0 }, { ...b, seed: 0 });
  assert.equal(a.temperature, 1);
  assert.equal(a.topK, 0);
  assert.equal(a.topP, 1);
  assert.equal(a.repetitionPenalty, 1);
  assert.ok(Number.isInteger(a.seed));
});

test("sampling parameters map to engine terms", () => {
  const params = toChatParams(
    chat({ temperature: 0.2, top_k: 40, top_p: 0.9, min_p: 0.05, seed: 7, stop: "END", logit_bias: { "15043": -100 }, repetition_penalty: 1.1 }),
    32000,
  );
  assert.equal(params.sampling.topK, 40);
  assert.equal(params.sampling.seed, 7);
  assert.deepEqual(params.stop, ["END"]);
  assert.deepEqual([...params.sampling.logitBias], [[15043, -100]]);
  assert.equal(params.maxTokens, undefined);
  assert.equal(toChatParams(chat({ max_tokens: 5, max_completion_tokens: 9 }), 32000).maxTokens, 9);
});

test("parameters that would change the answer but are not implemented yet are refused, not ignored", () => {
  const schema = (s: unknown) => chat({ response_format: { type: "json_schema", json_schema: { name: "x", schema: s } } });
  rejects(() => toChatParams(schema({ type: "object", properties: { code: { type: "string", pattern: "^[A-Z]+$" } } }), 32000), "response_format.json_schema.schema.properties.code.pattern");
  rejects(() => toChatParams(schema({ allOf: [{ type: "string" }] }), 32000), "response_format.json_schema.schema.allOf");
  rejects(() => toChatParams(schema({ $ref: "#/$defs/missing" }), 32000), "response_format.json_schema.schema.$ref");
  // a schema whose every value contains another one: no output could ever be whole
  const endless = { $defs: { node: { type: "object", properties: { next: { $ref: "#/$defs/node" } }, required: ["next"] } }, $ref: "#/$defs/node" };
  rejects(() => toChatParams(schema(endless), 32000), "response_format.json_schema.schema");
  const tool = (parameters: unknown) => ({ type: "function", function: { name: "f", parameters } });
  rejects(() => toChatParams(chat({ tools: [tool(endless)], tool_choice: "required" }), 32000), "tools");
  rejects(() => chat({ response_format: { type: "xml" } }), "response_format.type");
  rejects(() => chat({ tools: [{ type: "function" }] }), "tools[0].function");
  rejects(() => toCompletionParams(parseRequest(completionRequestSchema, { model: "m", prompt: "a", n: 3, best_of: 2 }), 32000), "best_of");
  rejects(() => toCompletionParams(parseRequest(completionRequestSchema, { model: "m", prompt: "a", best_of: 2, stream: true }), 32000), "best_of");
  rejects(() => toCompletionParams(parseRequest(completionRequestSchema, { model: "m", prompt: "a", suffix: "z" }), 32000), "suffix");
  rejects(() => toChatParams(chat({ logit_bias: { "32000": 1 } }), 32000), "logit_bias");
  rejects(
    () => toChatParams(chat({ messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] }), 32000),
    "messages[0].content[0].type",
  );
});

test("n, logprobs and echo map to engine terms; inconsistent combinations are refused", () => {
  assert.equal(toChatParams(chat({ n: 3 }), 32000).n, 3);
  assert.equal(toChatParams(chat({}), 32000).logprobs, undefined);
  assert.equal(toChatParams(chat({ logprobs: true }), 32000).logprobs, 0);
  assert.equal(toChatParams(chat({ logprobs: true, top_logprobs: 4 }), 32000).logprobs, 4);
  rejects(() => toChatParams(chat({ top_logprobs: 2 }), 32000), "top_logprobs");
  const completion = (fields: Record<string, unknown>) =>
    toCompletionParams(parseRequest(completionRequestSchema, { model: "m", prompt: "a", ...fields }), 32000);
  assert.deepEqual([completion({ logprobs: 2 }).logprobs, completion({ logprobs: 2 }).promptLogprobs], [2, undefined]);
  assert.deepEqual([completion({ logprobs: 0, echo: true }).logprobs, completion({ logprobs: 0, echo: true }).promptLogprobs], [0, 0]);
  assert.equal(completion({ echo: true, max_tokens: 0, logprobs: 1 }).maxTokens, 0);
  rejects(() => completion({ max_tokens: 0 }), "max_tokens");
});

test("response_format: json_object's `schema` (llama-server's extension) is enforced like json_schema's", () => {
  const schema = { type: "object", properties: { answer: { enum: ["yes", "no"] } }, required: ["answer"] };
  const withSchema = toChatParams(chat({ response_format: { type: "json_object", schema } }), 32000).structured!;
  assert.equal(withSchema.grammar, toChatParams(chat({ response_format: { type: "json_schema", json_schema: { name: "a", schema } } }), 32000).structured!.grammar);
  assert.equal(withSchema.close('{"answer":"y'), 'es"}');
  assert.match(toChatParams(chat({ response_format: { type: "json_object" } }), 32000).structured!.grammar, /^root ::= object\n/);
  assert.equal(toChatParams(chat({ response_format: { type: "text" } }), 32000).structured, undefined);
});

test("chat: developer is a system message, text parts are joined", () => {
  const params = toChatParams(
    chat({ messages: [{ role: "developer", content: "rules" }, { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }] }),
    32000,
  );
  assert.deepEqual(params.messages, [
    { role: "system", content: "rules" },
    { role: "user", content: "ab" },
  ]);
});

test("completions: every prompt form becomes a list of prompts; max_tokens defaults to OpenAI's 16", () => {
  const parse = (prompt: unknown) => toCompletionParams(parseRequest(completionRequestSchema, { model: "m", prompt }), 32000);
  assert.deepEqual(parse("a").prompts, ["a"]);
  assert.deepEqual(parse(["a", "b"]).prompts, ["a", "b"]);
  assert.deepEqual(parse([1, 2]).prompts, [[1, 2]]);
  assert.deepEqual(parse([[1], [2, 3]]).prompts, [[1], [2, 3]]);
  assert.equal(parse("a").maxTokens, DEFAULT_COMPLETION_MAX_TOKENS);
  rejects(() => parse([[1, 99999]]), "prompt");
});
