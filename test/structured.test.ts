import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";

const ajv = new Ajv2020({ strict: false });
const messages = [{ role: "user" as const, content: "Describe a person as JSON." }];

/** A schema a noise model cannot finish by chance: unbounded strings, nested objects, arrays of objects, a $ref. */
const schema = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: "integer", minimum: 0 },
    kind: { enum: ["cat", "dog"] },
    friends: { type: "array", items: { $ref: "#/$defs/friend" }, minItems: 1 },
    nickname: { type: ["string", "null"] },
    score: { type: "number" },
  },
  required: ["name", "age", "kind", "friends", "score"],
  additionalProperties: false,
  $defs: { friend: { type: "object", properties: { name: { type: "string" }, close: { type: "boolean" } }, required: ["name", "close"], additionalProperties: false } },
};

let server: TestServer;
before(async () => {
  server = await startTestServer({ parallel: 4 });
});
after(async () => {
  await server.close();
});

test("json_object on random weights: every choice parses as a JSON object, closed in time when the tokens run out", async () => {
  const response = await server.client().chat.completions.create({
    model: MODEL_ID,
    messages,
    response_format: { type: "json_object" },
    n: 4,
    max_tokens: 48,
    seed: 11,
  });
  for (const choice of response.choices) {
    const value = JSON.parse(choice.message.content ?? "");
    assert.ok(value !== null && typeof value === "object" && !Array.isArray(value), choice.message.content ?? "");
  }
  assert.ok((response.usage?.completion_tokens ?? 0) <= 4 * 48);
});

test("json_schema on random weights: every output parses and validates, streamed or not", async () => {
  const validate = ajv.compile(schema);
  const request = {
    model: MODEL_ID,
    messages,
    response_format: { type: "json_schema" as const, json_schema: { name: "person", schema, strict: true } },
    n: 4,
    max_tokens: 80,
    seed: 5,
  };
  const response = await server.client().chat.completions.create(request);
  for (const choice of response.choices) {
    const value = JSON.parse(choice.message.content ?? "");
    assert.ok(validate(value), `${choice.message.content}: ${ajv.errorsText(validate.errors)}`);
  }
  const stream = await server.client().chat.completions.create({ ...request, n: 1, stream: true });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
  assert.ok(validate(JSON.parse(text)), text);
});

test("a schema the noise model can finish ends with finish_reason stop: the grammar allows only end of sequence after it", async () => {
  const response = await server.client().chat.completions.create({
    model: MODEL_ID,
    messages,
    response_format: {
      type: "json_schema",
      json_schema: { name: "verdict", schema: { type: "object", properties: { answer: { enum: ["yes", "no"] }, sure: { type: "boolean" } }, required: ["answer", "sure"] } },
    },
    max_tokens: 100,
    seed: 1,
  });
  const choice = response.choices[0]!;
  assert.equal(choice.finish_reason, "stop");
  const value = JSON.parse(choice.message.content ?? "");
  assert.deepEqual(Object.keys(value), ["answer", "sure"]);
  assert.ok(["yes", "no"].includes(value.answer) && typeof value.sure === "boolean");
});

test("an unsupported schema keyword is a 400 naming it; the server keeps answering", async () => {
  const response = await postJson(`${server.url}/v1/chat/completions`, {
    model: MODEL_ID,
    messages,
    response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { code: { type: "string", pattern: "^[A-Z]{3}$" } } } } },
  });
  assert.equal(response.status, 400);
  const { error } = (await response.json()) as { error: { param: string; message: string; code: string } };
  assert.equal(error.param, "response_format.json_schema.schema.properties.code.pattern");
  assert.match(error.message, /'pattern' is not supported/);
  assert.equal((await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages, response_format: { type: "yaml" } })).status, 400);
  assert.equal(server.engine.stats().slots.busy, 0);
});

test("end of sequence banned by logit_bias: a whole output still ends (the grammar allows nothing else), never a hang", { timeout: 60_000 }, async () => {
  const response = await server.client().chat.completions.create({
    model: MODEL_ID,
    messages,
    response_format: { type: "json_schema", json_schema: { name: "flag", schema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] } } },
    logit_bias: { "2": -100 },
    max_tokens: 40,
    seed: 2,
  });
  assert.equal(response.choices[0]!.finish_reason, "stop");
  assert.equal(typeof JSON.parse(response.choices[0]!.message.content ?? "").ok, "boolean");
  assert.equal(server.engine.stats().slots.busy, 0);
});
