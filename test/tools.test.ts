import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import type OpenAI from "openai";
import { resolveChatTemplate } from "../src/templates/resolveChatTemplate.js";
import { assertOpenAiShape } from "./helpers/assertOpenAiShape.js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";
import { generatedModel } from "./helpers/generatedModel.js";

const ajv = new Ajv2020({ strict: false });
const weatherParameters = {
  type: "object",
  properties: { city: { type: "string" }, unit: { enum: ["c", "f"] }, days: { type: "integer", minimum: 0 } },
  required: ["city", "unit"],
  additionalProperties: false,
};
const tools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: "function", function: { name: "get_weather", description: "The weather in a city", parameters: weatherParameters } },
  { type: "function", function: { name: "ping", description: "Checks the connection" } },
];
const validators: Record<string, (value: unknown) => boolean> = {
  get_weather: ajv.compile(weatherParameters),
  ping: ajv.compile({ type: "object", properties: {}, additionalProperties: false }),
};
const messages = [{ role: "user" as const, content: "What is the weather in Paris?" }];

let server: TestServer;
before(async () => {
  server = await startTestServer({ parallel: 4 });
});
after(async () => {
  await server.close();
});

/** Every call names an offered tool and carries arguments valid for it; ids are OpenAI-shaped and distinct. */
function assertValidCalls(calls: ReadonlyArray<{ id: string; function: { name: string; arguments: string } }>): void {
  assert.ok(calls.length > 0);
  for (const call of calls) {
    assert.match(call.id, /^call_[0-9a-f]{24}$/);
    const validate = validators[call.function.name];
    assert.ok(validate, `unknown function ${call.function.name}`);
    assert.ok(validate(JSON.parse(call.function.arguments)), call.function.arguments);
  }
  assert.equal(new Set(calls.map((call) => call.id)).size, calls.length);
}

test("tool_choice required on random weights: every choice is a parsable call to an offered tool, finish_reason tool_calls", async () => {
  const response = await server.client().chat.completions.create({ model: MODEL_ID, messages, tools, tool_choice: "required", n: 4, max_tokens: 60, seed: 3 });
  assertOpenAiShape("CreateChatCompletionResponse", response);
  for (const choice of response.choices) {
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, null);
    assertValidCalls(choice.message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>);
  }
});

test("a named function with parallel_tool_calls false: exactly one call to it, even when the tokens run out mid-call", async () => {
  for (const max_tokens of [40, 8]) {
    const response = await server.client().chat.completions.create({
      model: MODEL_ID,
      messages,
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      max_tokens: max_tokens,
      seed: 8,
    });
    const calls = response.choices[0]!.message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.function.name, "get_weather");
    assertValidCalls(calls);
  }
  const ping = await server.client().chat.completions.create({ model: MODEL_ID, messages, tools, tool_choice: { type: "function", function: { name: "ping" } }, parallel_tool_calls: false, seed: 1 });
  assert.equal((ping.choices[0]!.message.tool_calls![0] as { function: { arguments: string } }).function.arguments, "{}");
});

test("streamed calls: the first fragment has the id and name, the arguments follow; they add up to the non-streamed calls", async () => {
  const request = { model: MODEL_ID, messages, tools, tool_choice: "required" as const, max_tokens: 60, seed: 3 };
  const whole = await server.client().chat.completions.create(request);
  const stream = await server.client().chat.completions.create({ ...request, stream: true });
  const calls: Array<{ id: string; function: { name: string; arguments: string } }> = [];
  const finishReasons: string[] = [];
  let first = true;
  for await (const chunk of stream) {
    assertOpenAiShape("CreateChatCompletionStreamResponse", chunk);
    const choice = chunk.choices[0]!;
    if (first) assert.equal(choice.delta.role, "assistant");
    first = false;
    for (const fragment of choice.delta.tool_calls ?? []) {
      if (fragment.id) {
        assert.equal(fragment.index, calls.length);
        calls.push({ id: fragment.id, function: { name: fragment.function!.name!, arguments: fragment.function!.arguments ?? "" } });
      } else {
        calls[fragment.index]!.function.arguments += fragment.function?.arguments ?? "";
      }
    }
    if (choice.finish_reason) finishReasons.push(choice.finish_reason);
  }
  assert.deepEqual(finishReasons, ["tool_calls"]);
  assertValidCalls(calls);
  const expected = whole.choices[0]!.message.tool_calls as Array<{ function: { name: string; arguments: string } }>;
  assert.deepEqual(calls.map((call) => call.function), expected.map((call) => call.function));
});

test("tool_choice auto and none: the model may answer in text; tool results are rendered back into the prompt", async () => {
  const auto = await server.client().chat.completions.create({ model: MODEL_ID, messages, tools, max_tokens: 12, seed: 4 });
  const none = await server.client().chat.completions.create({ model: MODEL_ID, messages, tools, tool_choice: "none", max_tokens: 12, seed: 4 });
  const plain = await server.client().chat.completions.create({ model: MODEL_ID, messages, max_tokens: 12, seed: 4 });
  assert.equal(typeof auto.choices[0]!.message.content, "string");
  assert.ok(["stop", "length"].includes(auto.choices[0]!.finish_reason));
  // the tool definitions are in the prompt with auto, not with none
  assert.ok(auto.usage!.prompt_tokens > plain.usage!.prompt_tokens + 50);
  assert.equal(none.usage!.prompt_tokens, plain.usage!.prompt_tokens);
  const followUp: OpenAI.Chat.ChatCompletionMessageParam[] = [
    ...messages,
    { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' } }] },
    { role: "tool", tool_call_id: "call_1", content: "18 degrees and sunny" },
  ];
  const answer = await server.client().chat.completions.create({ model: MODEL_ID, messages: followUp, tools, max_tokens: 8, seed: 4 });
  const resultTokens = server.engine.tokenize('<tool_response>{"name":"get_weather","content":"18 degrees and sunny"}</tool_response>', false).length;
  assert.ok(answer.usage!.prompt_tokens >= auto.usage!.prompt_tokens + resultTokens);
});

test("inconsistent tool requests are a 400 naming the parameter", async () => {
  const expect400 = async (body: Record<string, unknown>, param: string): Promise<void> => {
    const response = await postJson(`${server.url}/v1/chat/completions`, { model: MODEL_ID, messages, ...body });
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(((await response.json()) as { error: { param: string } }).error.param, param);
  };
  await expect400({ tool_choice: "required" }, "tool_choice");
  await expect400({ tools, tool_choice: { type: "function", function: { name: "nope" } } }, "tool_choice");
  await expect400({ tools: [tools[1], tools[1]] }, "tools");
  await expect400({ tools: [{ type: "function", function: { name: "bad name!" } }] }, "tools[0].function.name");
  await expect400(
    { tools: [tools[1], { type: "function", function: { name: "f", parameters: { type: "object", properties: { code: { type: "string", pattern: "^x" } } } } }], tool_choice: "required" },
    "tools[1].function.parameters.properties.code.pattern",
  );
  await expect400({ tools, response_format: { type: "json_object" } }, "response_format");
  assert.equal(server.engine.stats().slots.busy, 0);
});

describe("a GGUF whose chat template renders tools itself", () => {
  let templated: TestServer;
  const chatTemplate = readFileSync(new URL("../../test/fixtures/hermes-tools-template.jinja", import.meta.url), "utf8");
  before(async () => {
    const path = generatedModel("tiny-tools-template.gguf", { shape: "tiny", type: "f32", seed: 1, name: "tiny-tools", chatTemplate });
    templated = await startTestServer({ parallel: 2, modelPath: path });
  });
  after(async () => {
    await templated.close();
  });

  test("gets the tools, calls and results through its own template; forced calls still parse", async () => {
    const client = templated.client();
    const plain = await client.chat.completions.create({ model: "tiny-tools", messages, max_tokens: 2 });
    const offered = await client.chat.completions.create({ model: "tiny-tools", messages, tools, max_tokens: 2 });
    // exactly the template's own rendering (tools in OpenAI's form), not our tools block
    const template = resolveChatTemplate({ ggufTemplate: chatTemplate, specialTokens: { bos: "<s>", eos: "</s>" } });
    const definitions = [
      { name: "get_weather", description: "The weather in a city", parameters: weatherParameters },
      { name: "ping", description: "Checks the connection" },
    ];
    const promptTokens = (rendered: { text: string }): number => templated.engine.promptTokens(rendered.text, true).length;
    assert.equal(offered.usage!.prompt_tokens, promptTokens(template.renderWithTools!(messages, definitions)));
    assert.equal(plain.usage!.prompt_tokens, promptTokens(template.render(messages)));
    const forced = await client.chat.completions.create({ model: "tiny-tools", messages, tools, tool_choice: "required", max_tokens: 60, seed: 3 });
    assertValidCalls(forced.choices[0]!.message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>);
    // a follow-up with the call and its result renders through the template (a tool role it knows)
    const call = forced.choices[0]!.message.tool_calls![0]! as { id: string; type: "function"; function: { name: string; arguments: string } };
    const followUp = await client.chat.completions.create({
      model: "tiny-tools",
      messages: [...messages, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: call.id, content: "sunny" }],
      tools,
      max_tokens: 2,
    });
    const history = [
      ...messages,
      { role: "assistant" as const, content: "", toolCalls: [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] },
      { role: "tool" as const, content: "sunny", toolCallId: call.id },
    ];
    assert.equal(followUp.usage!.prompt_tokens, promptTokens(template.renderWithTools!(history, definitions)));
  });
});
