import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, InvalidRequestError } from "../../src/errors/ApiError.js";
import { assertTextCanFit } from "../../src/protocol/assertTextCanFit.js";
import { tooDeep } from "../../src/protocol/tooDeep.js";
import { paramPath, parseRequest } from "../../src/protocol/parseRequest.js";
import { chatCompletionRequestSchema, completionRequestSchema } from "../../src/protocol/requests.js";
import { DEFAULT_COMPLETION_MAX_TOKENS, toChatParams, toCompletionParams } from "../../src/protocol/toGenerationParams.js";
import { compileGeneration } from "../../src/serving/compileGeneration.js";

/** The request as serving compiles it: the mapping, then its grammar and seed. */
const compiledChat = (request: Parameters<typeof toChatParams>[0], vocabularySize: number) => compileGeneration(toChatParams(request, vocabularySize));

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
  const a = compiledChat(chat({}), 32000).sampling;
  const b = compiledChat(chat({}), 32000).sampling;
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
  rejects(() => compiledChat(schema({ type: "object", properties: { code: { type: "string", pattern: "^[A-Z]+$" } } }), 32000), "response_format.json_schema.schema.properties.code.pattern");
  rejects(() => compiledChat(schema({ allOf: [{ type: "string" }] }), 32000), "response_format.json_schema.schema.allOf");
  rejects(() => compiledChat(schema({ $ref: "#/$defs/missing" }), 32000), "response_format.json_schema.schema.$ref");
  // a schema whose every value contains another one: no output could ever be whole
  const endless = { $defs: { node: { type: "object", properties: { next: { $ref: "#/$defs/node" } }, required: ["next"] } }, $ref: "#/$defs/node" };
  rejects(() => compiledChat(schema(endless), 32000), "response_format.json_schema.schema");
  const tool = (parameters: unknown) => ({ type: "function", function: { name: "f", parameters } });
  rejects(() => compiledChat(chat({ tools: [tool(endless)], tool_choice: "required" }), 32000), "tools");
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
  const withSchema = compiledChat(chat({ response_format: { type: "json_object", schema } }), 32000).structured!;
  assert.equal(withSchema.grammar, compiledChat(chat({ response_format: { type: "json_schema", json_schema: { name: "a", schema } } }), 32000).structured!.grammar);
  assert.equal(withSchema.close('{"answer":"y'), 'es"}');
  assert.match(compiledChat(chat({ response_format: { type: "json_object" } }), 32000).structured!.grammar, /^root ::= object\n/);
  assert.equal(compiledChat(chat({ response_format: { type: "text" } }), 32000).structured, undefined);
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

test("bounds: n, best_of, generations per request, prompts, messages, stop strings, logit_bias, tools; each a 400 naming its field", () => {
  const completion = (extra: Record<string, unknown>) => toCompletionParams(parseRequest(completionRequestSchema, { model: "m", prompt: "x", ...extra }), 32000);
  rejects(() => completion({ best_of: 21 }), "best_of");
  rejects(() => completion({ best_of: 1_000_000_000 }), "best_of");
  rejects(() => chat({ n: 129 }), "n");
  rejects(() => completion({ prompt: Array.from({ length: 129 }, () => "p") }), "prompt");
  rejects(() => completion({ prompt: Array.from({ length: 7 }, () => "p"), best_of: 20 }), "best_of");
  rejects(() => completion({ prompt: Array.from({ length: 2 }, () => [1]), n: 65 }), "n");
  assert.equal(completion({ prompt: ["a", "b"], n: 64 }).prompts.length, 2);
  rejects(() => chat({ messages: Array.from({ length: 2049 }, () => ({ role: "user", content: "x" })) }), "messages");
  rejects(() => chat({ stop: "x".repeat(257) }), "stop");
  rejects(() => chat({ stop: ["ok", "x".repeat(257)] }), "stop[1]");
  rejects(() => chat({ logit_bias: Object.fromEntries(Array.from({ length: 301 }, (_, i) => [String(i), 1])) }), "logit_bias");
  const tool = { type: "function", function: { name: "f" } };
  rejects(() => chat({ tools: Array.from({ length: 129 }, () => tool) }), "tools");
});

test("tooDeep finds the first container past the depth limit in the body's text, and its path", () => {
  assert.equal(tooDeep('{"a": [1, {"b": 2}]}', 3), undefined);
  assert.deepEqual(tooDeep('{"a": [1, {"b": {}}]}', 3), ["a", 1, "b"]);
  assert.deepEqual(tooDeep('{"x\\"]": [0, "[[[", {"q": [[]]}]}', 4), ['x"]', 2, "q", 0]);
  assert.equal(tooDeep("[".repeat(64) + "]".repeat(64), 64), undefined);
  assert.deepEqual(tooDeep("[".repeat(100_000) + "]".repeat(100_000), 64)?.length, 64);
});

test("a text longer than the context could hold is context_length_exceeded, without tokenizing", () => {
  assert.doesNotThrow(() => assertTextCanFit("x".repeat(40), 10, 4, "messages"));
  assert.throws(
    () => assertTextCanFit("x".repeat(41), 10, 4, "prompt[2]"),
    (error: unknown) => error instanceof ApiError && error.status === 400 && error.code === "context_length_exceeded" && error.param === "prompt[2]",
  );
});

test("schemas past their bounds are a 400 naming where they are, before any grammar is built", () => {
  let deep: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 40; i++) deep = { type: "object", properties: { x: deep } };
  const withSchema = (schema: unknown) => chat({ response_format: { type: "json_schema", json_schema: { name: "s", schema } } });
  rejects(() => compiledChat(withSchema(deep), 32000), `response_format.json_schema.schema${".properties.x".repeat(33)}`);
  rejects(() => compiledChat(withSchema({ type: "array", minItems: 2001 }), 32000), "response_format.json_schema.schema.minItems");
  rejects(() => compiledChat(withSchema({ type: "string", maxLength: 5000 }), 32000), "response_format.json_schema.schema.maxLength");
  rejects(() => compiledChat(withSchema({ type: "string", format: "toString" }), 32000), "response_format.json_schema.schema.format");
  rejects(() => compiledChat(withSchema({ $ref: "#/$defs/constructor" }), 32000), "response_format.json_schema.schema.$ref");
  // nested minItems whose smallest value would be 22 MB
  const nested = { type: "array", minItems: 1000, items: { type: "array", minItems: 1000, items: { type: "array", minItems: 10 } } };
  rejects(() => compiledChat(withSchema(nested), 32000), "response_format.json_schema.schema");
  // a chain of references, each one level more
  const $defs = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`d${i}`, { $ref: `#/$defs/d${i + 1}` }]));
  assert.throws(() => compiledChat(withSchema({ $ref: "#/$defs/d0", $defs: { ...$defs, d100: { type: "null" } } }), 32000), InvalidRequestError);
  const parameters = { type: "object", properties: { x: { type: "array", maxItems: 5000 } } };
  rejects(
    () => compiledChat(chat({ tools: [{ type: "function", function: { name: "f" } }, { type: "function", function: { name: "g", parameters } }], tool_choice: "required" }), 32000),
    "tools[1].function.parameters.properties.x.maxItems",
  );
});

test("legacy functions: the tools they stand for, one call at most; mixed with tools, or function_call alone, refused", () => {
  const fn = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } };
  const auto = toChatParams(chat({ functions: [fn] }), 32000);
  assert.deepEqual([...auto.toolNames!], ["get_weather"]);
  assert.equal(auto.singleCall, true);
  assert.equal(auto.legacyFunctions, true);
  assert.equal(compileGeneration(auto).structured, undefined);
  const named = toChatParams(chat({ functions: [fn], function_call: { name: "get_weather" } }), 32000);
  assert.ok(compileGeneration(named).structured, "a named function is forced by the grammar");
  assert.equal(toChatParams(chat({ functions: [fn], function_call: "none" }), 32000).toolNames, undefined);
  rejects(() => toChatParams(chat({ functions: [fn], function_call: { name: "other" } }), 32000), "function_call");
  rejects(() => toChatParams(chat({ functions: [fn], tools: [{ type: "function", function: fn }] }), 32000), "functions");
  rejects(() => toChatParams(chat({ function_call: "auto" }), 32000), "function_call");
  rejects(() => compiledChat(chat({ functions: [{ name: "g", parameters: { type: "string", pattern: "a" } }], function_call: { name: "g" } }), 32000), "functions[0].parameters.pattern");
  // past calls and results in the deprecated form
  const history = toChatParams(
    chat({
      functions: [fn],
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: null, function_call: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        { role: "function", name: "get_weather", content: "sunny" },
      ],
    }),
    32000,
  );
  assert.deepEqual(history.messages[1]!.toolCalls?.map((call) => call.name), ["get_weather"]);
  assert.deepEqual({ role: history.messages[2]!.role, name: history.messages[2]!.name }, { role: "tool", name: "get_weather" });
  // parallel_tool_calls false with auto: one call, the generation ended after it
  const tool = { type: "function", function: fn };
  assert.equal(toChatParams(chat({ tools: [tool], parallel_tool_calls: false }), 32000).singleCall, true);
  assert.equal(toChatParams(chat({ tools: [tool] }), 32000).singleCall, false);
});

test("the mapping is pure: what was asked, the seed absent when none is given; serving draws the seed and builds the grammar", () => {
  const schema = { type: "object", properties: { answer: { enum: ["yes", "no"] } }, required: ["answer"] };
  const request = chat({ response_format: { type: "json_schema", json_schema: { name: "a", schema } } });
  const params = toChatParams(request, 32000);
  assert.deepEqual(params, toChatParams(request, 32000));
  assert.equal(params.sampling.seed, undefined);
  assert.deepEqual(params.output, { type: "json", schema, param: "response_format.json_schema.schema" });
  assert.equal(compileGeneration(toChatParams(chat({ seed: 7 }), 32000)).sampling.seed, 7);
  const drawn = compileGeneration(params).sampling.seed;
  assert.ok(Number.isInteger(drawn) && drawn >= 0 && drawn < 2 ** 31);
  const fn = { name: "f", parameters: { type: "object", properties: { x: { type: "string" } } } };
  assert.deepEqual(toChatParams(chat({ functions: [fn], function_call: { name: "f" } }), 32000).output, {
    type: "tool_calls",
    tools: [{ tool: fn, param: "functions[0].parameters" }],
    parallel: false,
    param: "functions",
  });
  assert.equal(toCompletionParams(parseRequest(completionRequestSchema, { model: "m", prompt: "a" }), 32000).sampling.seed, undefined);
});

test("tool schema errors name the tool's field as the request wrote it: a definition, a forced subset, the legacy functions", () => {
  const tool = (name: string, parameters?: unknown) => ({ type: "function", function: { name, ...(parameters ? { parameters } : {}) } });
  const badDef = { type: "object", properties: { u: { $ref: "#/$defs/unit" } }, $defs: { unit: { type: "string", maxLength: 5000 } } };
  rejects(() => compiledChat(chat({ tools: [tool("a"), tool("b", badDef)], tool_choice: "required" }), 32000), "tools[1].function.parameters.$defs.unit.maxLength");
  // forced by name: the tool's index in the request, not in the forced list
  const tools = [...Array.from({ length: 11 }, (_, i) => tool(`t${i}`)), tool("bad", badDef)];
  rejects(() => compiledChat(chat({ tools, tool_choice: { type: "function", function: { name: "bad" } } }), 32000), "tools[11].function.parameters.$defs.unit.maxLength");
  rejects(() => compiledChat(chat({ functions: [{ name: "a" }, { name: "b", parameters: badDef }], function_call: { name: "b" } }), 32000), "functions[1].parameters.$defs.unit.maxLength");
  assert.throws(
    () => toChatParams(chat({ functions: [{ name: "a" }, { name: "a" }] }), 32000),
    (error: unknown) => error instanceof InvalidRequestError && error.param === "functions" && error.message === "The function 'a' is listed twice in 'functions'.",
  );
});
