import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import OpenAI from "openai";
import { LIMITS } from "../src/protocol/limits.js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";

let server: TestServer;
before(async () => {
  server = await startTestServer({ parallel: 2 });
});
after(async () => {
  await server.close();
});

/** The request fails with the openai client's BadRequestError naming `param` (and `code` when given). */
async function refused(request: Promise<unknown>, param: string, code?: string): Promise<void> {
  await assert.rejects(request, (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    assert.equal(error.param, param);
    if (code !== undefined) assert.equal(error.code, code);
    return true;
  });
}

const messages = [{ role: "user" as const, content: "Hi" }];

test("best_of 1 000 000 000 is a 400 at once, and the server goes on serving", async () => {
  const client = server.client();
  await refused(client.completions.create({ model: MODEL_ID, prompt: "x", best_of: 1_000_000_000 }), "best_of");
  await refused(client.completions.create({ model: MODEL_ID, prompt: ["a", "b", "c", "d", "e", "f", "g"], best_of: 20 }), "best_of");
  await refused(client.chat.completions.create({ model: MODEL_ID, messages, n: 129 }), "n");
  await refused(client.chat.completions.create({ model: MODEL_ID, messages, stop: ["x".repeat(LIMITS.stopChars + 1)] }), "stop[0]");
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
});

test("a body nested past the limit is a 400 naming the deepest field reached, not a stack overflow", async () => {
  // written as text: JSON.stringify itself recurses, and 10 000 levels overflow it
  const deep = `${'{"type": "object", "properties": {"x": '.repeat(10_000)}{"type": "string"}${"}}".repeat(10_000)}`;
  const body = `{"model": "${MODEL_ID}", "messages": [{"role": "user", "content": "Hi"}], "response_format": {"type": "json_schema", "json_schema": {"name": "deep", "schema": ${deep}}}}`;
  const response = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  assert.equal(response.status, 400);
  const { error } = (await response.json()) as { error: { param: string; code: string } };
  assert.equal(error.code, "invalid_value");
  assert.ok(error.param.startsWith("response_format.json_schema.schema.properties.x.properties.x"), error.param);
  let schema: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 200; i++) schema = { type: "object", properties: { x: schema } };
  const tool = { type: "function" as const, function: { name: "f", parameters: schema } };
  await refused(server.client().chat.completions.create({ model: MODEL_ID, messages, tools: [tool] }), "tools[0].function.parameters" + ".properties.x".repeat(30));
});

test("schemas the grammar cannot hold are a 400 naming the keyword; enum [1, 12] closes validly whatever the seed", async () => {
  const client = server.client();
  const withSchema = (schema: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    client.chat.completions.create({ model: MODEL_ID, messages, response_format: { type: "json_schema", json_schema: { name: "s", schema } }, ...extra });
  await refused(withSchema({ type: "array", maxItems: 2001 }), "response_format.json_schema.schema.maxItems");
  await refused(withSchema({ type: "string", format: "toString" }), "response_format.json_schema.schema.format");
  const nested = { type: "array", minItems: 1000, items: { type: "array", minItems: 1000, items: { type: "array", minItems: 10 } } };
  await refused(withSchema(nested), "response_format.json_schema.schema");
  const schema = { type: "object", properties: { v: { enum: [1, 12] }, w: { enum: [1, 12, 123] } }, required: ["v", "w"], additionalProperties: false };
  const validate = new Ajv2020({ strict: false }).compile(schema);
  for (const max_tokens of [3, 6, 40]) {
    const response = await withSchema(schema, { n: 4, seed: max_tokens, max_tokens });
    for (const choice of response.choices) assert.ok(validate(JSON.parse(choice.message.content!)), choice.message.content!);
  }
});

test("a prompt that cannot fit the context is context_length_exceeded without tokenizing; /tokenize's content is bounded the same way", async () => {
  const { contextSize, longestTokenChars } = server.engine.info;
  const tooLong = "a".repeat(contextSize * longestTokenChars + 1);
  const client = server.client();
  await refused(client.chat.completions.create({ model: MODEL_ID, messages: [{ role: "user", content: tooLong }] }), "messages", "context_length_exceeded");
  await refused(client.completions.create({ model: MODEL_ID, prompt: ["ok", tooLong] }), "prompt[1]", "context_length_exceeded");
  const response = await postJson(`${server.url}/tokenize`, { content: tooLong });
  assert.equal(response.status, 400);
  assert.equal(((await response.json()) as { error: { param: string } }).error.param, "content");
  const fits = await postJson(`${server.url}/tokenize`, { content: "a".repeat(1000) });
  assert.equal(fits.status, 200);
});

test("legacy functions with a named function_call: one call as message.function_call, finish_reason function_call, streamed too", async () => {
  const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
  const request = {
    model: MODEL_ID,
    messages,
    functions: [{ name: "get_weather", parameters }, { name: "ping" }],
    function_call: { name: "get_weather" },
    max_tokens: 30,
    seed: 4,
  };
  const response = await server.client().chat.completions.create(request);
  const choice = response.choices[0]!;
  assert.equal(choice.finish_reason, "function_call");
  assert.equal(choice.message.tool_calls, undefined);
  assert.equal(choice.message.function_call?.name, "get_weather");
  assert.ok(new Ajv2020({ strict: false }).validate(parameters, JSON.parse(choice.message.function_call!.arguments)));
  const stream = await server.client().chat.completions.create({ ...request, stream: true });
  let name = "";
  let args = "";
  let finish: string | null = null;
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta;
    name += delta?.function_call?.name ?? "";
    args += delta?.function_call?.arguments ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.deepEqual({ name, args, finish }, { name: "get_weather", args: choice.message.function_call!.arguments, finish: "function_call" });
  await refused(server.client().chat.completions.create({ model: MODEL_ID, messages, function_call: "auto" }), "function_call");
});
