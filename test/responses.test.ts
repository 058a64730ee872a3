import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import type OpenAI from "openai";
import { assertOpenAiShape } from "./helpers/assertOpenAiShape.js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";

const ajv = new Ajv2020({ strict: false });
const KEY = "sk-responses-test";
const weatherParameters = {
  type: "object",
  properties: { city: { type: "string" }, unit: { enum: ["c", "f"] }, days: { type: "integer", minimum: 0 } },
  required: ["city", "unit"],
  additionalProperties: false,
};
const tools: OpenAI.Responses.FunctionTool[] = [
  { type: "function", name: "get_weather", description: "The weather in a city", parameters: weatherParameters, strict: true },
  { type: "function", name: "ping", description: "Checks the connection", parameters: null, strict: false },
];
const validWeather = ajv.compile(weatherParameters);

let server: TestServer;
before(async () => {
  server = await startTestServer({ parallel: 2, apiKey: KEY });
});
after(async () => {
  await server.close();
});

/** The prompt tokens chat completions counts for the same conversation: the two dialects must render it alike. */
async function chatPromptTokens(messages: OpenAI.Chat.ChatCompletionMessageParam[], chatTools?: OpenAI.Chat.ChatCompletionTool[]): Promise<number> {
  const completion = await server.client().chat.completions.create({ model: MODEL_ID, messages, max_tokens: 1, ...(chatTools ? { tools: chatTools } : {}) });
  return completion.usage!.prompt_tokens;
}

test("responses.create with a string input, under every prefix: a valid response object, its output_text, the prompt rendered as chat's", async () => {
  for (const prefix of ["/v1", "/v3/openai", "/openai/v1"]) {
    const response = await server.client(prefix).responses.create({ model: MODEL_ID, instructions: "Answer briefly.", input: "Hi there!", max_output_tokens: 24, store: false });
    assertOpenAiShape("Response", { ...response, output_text: undefined });
    assert.match(response.id, /^resp_[0-9a-f]{48}$/);
    assert.equal(response.object, "response");
    assert.equal(response.model, MODEL_ID);
    assert.equal(response.instructions, "Answer briefly.");
    assert.equal(response.max_output_tokens, 24);
    assert.equal((response as { store?: boolean }).store, false);
    assert.ok(["completed", "incomplete"].includes(response.status!));
    const message = response.output[0] as OpenAI.Responses.ResponseOutputMessage;
    assert.equal(message.type, "message");
    assert.match(message.id, /^msg_[0-9a-f]{48}$/);
    const text = (message.content[0] as OpenAI.Responses.ResponseOutputText).text;
    assert.ok(text.length > 0);
    // the SDK's convenience, computed from the output
    assert.equal(response.output_text, text);
    const usage = response.usage!;
    assert.ok(usage.output_tokens > 0 && usage.output_tokens <= 24);
    assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
    assert.equal(usage.output_tokens_details.reasoning_tokens, 0);
    assert.equal(usage.input_tokens, await chatPromptTokens([{ role: "system", content: "Answer briefly." }, { role: "user", content: "Hi there!" }]));
  }
});

test("the prompt's tokens found in a slot are input_tokens_details.cached_tokens", async () => {
  const input = "A longer question that a returning request shares with the one before it, word for word, to the end.";
  await server.client().responses.create({ model: MODEL_ID, input, max_output_tokens: 16, temperature: 0 });
  const again = await server.client().responses.create({ model: MODEL_ID, input, max_output_tokens: 16, temperature: 0 });
  assert.ok(again.usage!.input_tokens_details.cached_tokens >= 16, JSON.stringify(again.usage));
  assert.ok(again.usage!.input_tokens_details.cached_tokens < again.usage!.input_tokens);
});

test("max_output_tokens runs out: status incomplete, reason max_output_tokens, exactly that many tokens", async () => {
  // greedy: on random weights the same 16 tokens, none of them the end of the answer
  const response = await server.client().responses.create({ model: MODEL_ID, input: "Tell me a long story.", max_output_tokens: 16, temperature: 0 });
  assertOpenAiShape("Response", { ...response, output_text: undefined });
  assert.equal(response.status, "incomplete");
  assert.deepEqual(response.incomplete_details, { reason: "max_output_tokens" });
  assert.equal(response.usage!.output_tokens, 16);
  assert.equal((response.output[0] as OpenAI.Responses.ResponseOutputMessage).status, "incomplete");
});

test("function tools: a forced tool_choice gives a function_call item with valid arguments; its output sent back as items is the conversation chat renders", async () => {
  const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content: "What is the weather in Paris?" }];
  const first = await server.client().responses.create({ model: MODEL_ID, input, tools, tool_choice: { type: "function", name: "get_weather" }, parallel_tool_calls: false, max_output_tokens: 60 });
  assertOpenAiShape("Response", { ...first, output_text: undefined });
  assert.deepEqual(first.tool_choice, { type: "function", name: "get_weather" });
  const calls = first.output.filter((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === "function_call");
  assert.equal(calls.length, 1);
  const call = calls[0]!;
  assert.equal(call.name, "get_weather");
  assert.match(call.id!, /^fc_[0-9a-f]{48}$/);
  assert.match(call.call_id, /^call_[0-9a-f]{24}$/);
  assert.ok(validWeather(JSON.parse(call.arguments)), call.arguments);
  assert.equal(call.status, "completed");

  // the round trip: the call item as it came, and its output, in a stateless follow-up
  const followUp: OpenAI.Responses.ResponseInputItem[] = [...input, call, { type: "function_call_output", call_id: call.call_id, output: '{"temperature": 18}' }];
  const second = await server.client().responses.create({ model: MODEL_ID, input: followUp, tools, max_output_tokens: 16, store: false });
  assertOpenAiShape("Response", { ...second, output_text: undefined });
  assert.ok(second.output.length > 0);
  const chatTools = tools.map((tool): OpenAI.Chat.ChatCompletionTool => ({ type: "function", function: { name: tool.name, description: tool.description!, ...(tool.parameters ? { parameters: tool.parameters } : {}) } }));
  const chatMessages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: "user", content: "What is the weather in Paris?" },
    { role: "assistant", content: null, tool_calls: [{ id: call.call_id, type: "function", function: { name: call.name, arguments: call.arguments } }] },
    { role: "tool", tool_call_id: call.call_id, content: '{"temperature": 18}' },
  ];
  assert.equal(second.usage!.input_tokens, await chatPromptTokens(chatMessages, chatTools));
  // and the tool result is in it: without it the prompt is shorter
  const withoutResult = await server.client().responses.create({ model: MODEL_ID, input: followUp.slice(0, 2), tools, max_output_tokens: 16 });
  assert.ok(withoutResult.usage!.input_tokens < second.usage!.input_tokens);
});

test("tool_choice required: every output item is a call to an offered tool, with valid arguments", async () => {
  const response = await server.client().responses.create({ model: MODEL_ID, input: "Weather?", tools, tool_choice: "required", max_output_tokens: 80 });
  assert.ok(response.output.length > 0);
  for (const item of response.output) {
    assert.equal(item.type, "function_call");
    const call = item as OpenAI.Responses.ResponseFunctionToolCall;
    const args = JSON.parse(call.arguments);
    if (call.name === "get_weather") assert.ok(validWeather(args), call.arguments);
    else assert.deepEqual([call.name, args], ["ping", {}]);
  }
});

test("responses.stream: every event valid and numbered, in order, the helpers' snapshots and finalResponse() agree with the deltas", async () => {
  const stream = server.client().responses.stream({ model: MODEL_ID, input: "Hi there!", max_output_tokens: 24 });
  const deltas: string[] = [];
  stream.on("response.output_text.delta", (event) => {
    deltas.push(event.delta);
    assert.equal(event.snapshot, deltas.join(""));
  });
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  const final = await stream.finalResponse();
  for (const event of events) assertOpenAiShape("ResponseStreamEvent", event);
  assert.deepEqual(events.map((event) => event.sequence_number), events.map((_, i) => i));
  const types = events.map((event) => event.type);
  assert.deepEqual(types.slice(0, 4), ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
  assert.deepEqual(types.slice(-4, -1), ["response.output_text.done", "response.content_part.done", "response.output_item.done"]);
  assert.ok(["response.completed", "response.incomplete"].includes(types.at(-1)!));
  assert.ok(types.slice(4, -4).every((type) => type === "response.output_text.delta"));
  assert.ok(deltas.length > 0);
  assertOpenAiShape("Response", { ...final, output_text: undefined });
  assert.equal(final.output_text, deltas.join(""));
  const last = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
  assert.equal(final.id, last.response.id);
  assert.equal(final.usage!.output_tokens, last.response.usage!.output_tokens);
  const done = events.find((event) => event.type === "response.output_text.done") as OpenAI.Responses.ResponseTextDoneEvent;
  assert.equal(done.text, deltas.join(""));
});

test("a streamed forced call: its arguments' delta and done events; finalResponse() holds the call", async () => {
  const stream = server.client().responses.stream({ model: MODEL_ID, input: "Weather in Paris?", tools, tool_choice: { type: "function", name: "get_weather" }, parallel_tool_calls: false, max_output_tokens: 60 });
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  for (const event of events) assertOpenAiShape("ResponseStreamEvent", event);
  const argumentsDone = events.find((event) => event.type === "response.function_call_arguments.done") as OpenAI.Responses.ResponseFunctionCallArgumentsDoneEvent;
  const argumentDeltas = events.filter((event) => event.type === "response.function_call_arguments.delta") as OpenAI.Responses.ResponseFunctionCallArgumentsDeltaEvent[];
  assert.equal(argumentDeltas.map((event) => event.delta).join(""), argumentsDone.arguments);
  assert.ok(validWeather(JSON.parse(argumentsDone.arguments)), argumentsDone.arguments);
  const final = await stream.finalResponse();
  const call = final.output.find((item) => item.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
  assert.equal(call.id, argumentsDone.item_id);
  assert.equal(call.arguments, argumentsDone.arguments);
});

test("the raw stream: each event named after its type, no [DONE]; a refusal before it starts is a plain status", async () => {
  const headers = { Authorization: `Bearer ${KEY}` };
  const response = await postJson(`${server.url}/v1/responses`, { model: MODEL_ID, input: "Hi", max_output_tokens: 16, stream: true }, headers);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
  const text = await response.text();
  assert.ok(text.endsWith("\n\n") && !text.includes("[DONE]"));
  for (const frame of text.slice(0, -2).split("\n\n")) {
    const [name, data, ...rest] = frame.split("\n");
    assert.deepEqual(rest, []);
    assert.equal(name, `event: ${JSON.parse(data!.slice("data: ".length)).type}`);
  }
  const refused = await postJson(`${server.url}/v1/responses`, { model: "gpt-4o", input: "Hi", stream: true }, headers);
  assert.equal(refused.status, 404);
});

test("text.format json_schema: the output parses and validates, also when max_output_tokens cuts it (closed, status incomplete)", async () => {
  const schema = { type: "object", properties: { city: { type: "string" }, days: { type: "array", items: { type: "integer" } } }, required: ["city", "days"], additionalProperties: false };
  const validate = ajv.compile(schema);
  for (const max_output_tokens of [120, 16]) {
    // greedy when cut, so that the cut is certain: the same 16 tokens every run, too few for the schema's shortest output plus noise
    const sampling = max_output_tokens === 16 ? { temperature: 0 } : {};
    const response = await server.client().responses.create({ model: MODEL_ID, input: "A forecast as JSON.", text: { format: { type: "json_schema", name: "forecast", schema, strict: true } }, max_output_tokens, ...sampling });
    assertOpenAiShape("Response", { ...response, output_text: undefined });
    if (max_output_tokens === 16) assert.deepEqual([response.status, response.incomplete_details?.reason], ["incomplete", "max_output_tokens"]);
    assert.ok(validate(JSON.parse(response.output_text)), response.output_text);
    assert.deepEqual(response.text?.format, { type: "json_schema", name: "forecast", schema, strict: true });
  }
  const object = await server.client().responses.create({ model: MODEL_ID, input: "JSON please.", text: { format: { type: "json_object" } }, max_output_tokens: 32 });
  const value = JSON.parse(object.output_text);
  assert.ok(value !== null && typeof value === "object" && !Array.isArray(value));
});

test("logprobs with include: one per output token, with the top alternatives asked for", async () => {
  const response = await server.client().responses.create({ model: MODEL_ID, input: "Hi", include: ["message.output_text.logprobs"], top_logprobs: 2, max_output_tokens: 16, temperature: 0 });
  assertOpenAiShape("Response", { ...response, output_text: undefined });
  const part = (response.output[0] as OpenAI.Responses.ResponseOutputMessage).content[0] as OpenAI.Responses.ResponseOutputText;
  assert.equal(part.logprobs!.length, response.usage!.output_tokens);
  assert.equal(part.logprobs!.map((l) => l.token).join(""), part.text);
  for (const logprob of part.logprobs!) assert.equal(logprob.top_logprobs.length, 2);
});

test("errors in OpenAI's envelope: store true and previous_response_id (400 naming them), an image, an unknown model (404), a wrong key (401)", async () => {
  const refused = async (request: Record<string, unknown>, status: number, param: string | null, code: string) => {
    const error = await server.client().responses.create({ model: MODEL_ID, input: "Hi", ...request } as OpenAI.Responses.ResponseCreateParamsNonStreaming).then(
      () => assert.fail(JSON.stringify(request)),
      (e: unknown) => e as { status: number; param: string | null; code: string; message: string },
    );
    assert.deepEqual([error.status, error.param, error.code], [status, param, code], error.message);
  };
  await refused({ store: true }, 400, "store", "unsupported_parameter");
  await refused({ previous_response_id: "resp_123" }, 400, "previous_response_id", "unsupported_parameter");
  await refused({ input: [{ role: "user", content: [{ type: "input_image", image_url: "https://example.com/a.png", detail: "auto" }] }] }, 400, "input[0].content[0].type", "unsupported_parameter");
  await refused({ tools: [{ type: "web_search" }] }, 400, "tools[0].type", "unsupported_parameter");
  await refused({ reasoning: { effort: "high" } }, 400, "reasoning.effort", "unsupported_parameter");
  await refused({ model: "gpt-4o" }, 404, "model", "model_not_found");
  await assert.rejects(server.client("/v1", "wrong").responses.create({ model: MODEL_ID, input: "Hi" }), (e: { status?: number }) => e.status === 401);
  const raw = await postJson(`${server.url}/v1/responses`, { model: MODEL_ID, input: "Hi", store: true }, { Authorization: `Bearer ${KEY}` });
  assert.equal(raw.status, 400);
  const body = await raw.json();
  assertOpenAiShape("ErrorResponse", body);
  assert.match((body as { error: { message: string } }).error.message, /store/);
});
