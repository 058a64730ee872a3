import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Anthropic, { APIError } from "@anthropic-ai/sdk";
import { Ajv2020 } from "ajv/dist/2020.js";
import { assertAnthropicShape } from "./helpers/assertAnthropicShape.js";
import { FaultySequences } from "./helpers/faultySequences.js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";
import { waitUntil } from "./helpers/waitUntil.js";

// Anthropic's Messages API through the official SDK against the real server (tiny generated model, random weights)
const KEY = "sk-ant-test-key";
const faults = new FaultySequences();
let server: TestServer;
let client: Anthropic;

before(async () => {
  // no queue: a request that finds both slots busy is refused at once (the overload test)
  server = await startTestServer({ parallel: 2, apiKey: KEY, wrapSequencesForTests: faults.wrap, queue: { maxQueue: 0 } });
  client = anthropic();
});
after(async () => {
  await server.close();
});

function anthropic(options: { apiKey?: string | null; authToken?: string } = {}): Anthropic {
  return new Anthropic({ baseURL: server.url, apiKey: options.apiKey === undefined ? KEY : options.apiKey, ...(options.authToken ? { authToken: options.authToken } : {}), maxRetries: 0, timeout: 60_000 });
}

/**
 * The sampling fields this SDK's types no longer list (they are still the API's, and still sent): greedy, so that a
 * request's answer is known from an earlier identical one.
 */
const greedy = { temperature: 0, top_k: 1, top_p: 1 } as object;

const weatherSchema: Anthropic.Tool.InputSchema = {
  type: "object" as const,
  properties: { city: { type: "string" }, unit: { enum: ["c", "f"] } },
  required: ["city", "unit"],
  additionalProperties: false,
};
const weatherTool: Anthropic.Tool = { name: "get_weather", description: "The weather in a city", input_schema: weatherSchema };

function textOf(message: Anthropic.Message): string {
  return message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
}

/** The usage of a message as Anthropic accounts it: every field an integer, the cache fields included. */
function assertUsage(message: Anthropic.Message): void {
  assertAnthropicShape("PromptCachingBetaUsage", message.usage);
  assert.equal(message.usage.cache_creation_input_tokens, 0);
}

test("messages.create: a message in Anthropic's shape, system as a string or blocks, metadata accepted", async () => {
  const asString = await client.messages.create({
    model: MODEL_ID,
    max_tokens: 8,
    system: "You are terse.",
    metadata: { user_id: "user-1" },
    messages: [{ role: "user", content: "Hello there" }],
  });
  assertAnthropicShape("Message", asString);
  assertUsage(asString);
  assert.match(asString.id, /^msg_[0-9a-f]{24}$/);
  assert.equal(asString.type, "message");
  assert.equal(asString.role, "assistant");
  assert.equal(asString.model, MODEL_ID);
  assert.ok(["end_turn", "max_tokens"].includes(asString.stop_reason!), String(asString.stop_reason));
  assert.equal(asString.stop_sequence, null);
  if (asString.stop_reason === "max_tokens") assert.equal(asString.usage.output_tokens, 8);
  assert.ok(asString.usage.input_tokens + asString.usage.cache_read_input_tokens! > 5);

  const asBlocks = await client.messages.create({
    model: MODEL_ID,
    max_tokens: 8,
    system: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }],
    messages: [{ role: "user", content: [{ type: "text", text: "Hello there" }] }],
  });
  assertAnthropicShape("Message", asBlocks);
  const count = (system: Anthropic.MessageCountTokensParams["system"]) =>
    client.messages.countTokens({ model: MODEL_ID, system, messages: [{ role: "user", content: "Hello there" }] });
  assert.equal((await count([{ type: "text", text: "You are terse." }])).input_tokens, (await count("You are terse.")).input_tokens, "the same prompt");
});

test("stop_sequences: the client's sequence that ended the answer is reported, the text stops before it", async () => {
  const params = { model: MODEL_ID, max_tokens: 24, messages: [{ role: "user" as const, content: "Tell me a story" }], ...greedy };
  const free = await client.messages.create(params);
  const text = textOf(free);
  assert.ok(text.length >= 8, `a greedy answer long enough to cut: ${JSON.stringify(text)}`);
  const stop = text.slice(4, 8);
  const cut = await client.messages.create({ ...params, stop_sequences: ["never-written-stop", stop] });
  assertAnthropicShape("Message", cut);
  assert.equal(cut.stop_reason, "stop_sequence");
  assert.equal(cut.stop_sequence, stop);
  assert.equal(textOf(cut), text.slice(0, text.indexOf(stop)));
});

test("messages.stream: the text events add up to finalMessage(), whose usage is the prompt count_tokens gives", async () => {
  const request = { model: MODEL_ID, max_tokens: 16, system: "Be brief.", messages: [{ role: "user" as const, content: `Stream a unique answer ${process.hrtime.bigint()}` }] };
  const stream = client.messages.stream(request);
  const texts: string[] = [];
  stream.on("text", (text) => texts.push(text));
  const message = await stream.finalMessage();
  assertAnthropicShape("Message", message);
  assertUsage(message);
  assert.ok(texts.length > 0);
  assert.equal(texts.join(""), textOf(message));
  assert.ok(message.usage.output_tokens > 0 && message.usage.output_tokens <= 16);
  const { input_tokens } = await client.messages.countTokens({ model: MODEL_ID, system: request.system, messages: request.messages });
  assertAnthropicShape("BetaCountMessageTokensResponse", { input_tokens });
  assert.equal(message.usage.input_tokens + message.usage.cache_read_input_tokens!, input_tokens);
});

test("count_tokens equals usage.input_tokens of the same request, the prefix cache's tokens reported apart", async () => {
  const request = { model: MODEL_ID, max_tokens: 4, messages: [{ role: "user" as const, content: `Count me ${process.hrtime.bigint()} ${"and again ".repeat(20)}` }] };
  const { input_tokens: counted } = await client.messages.countTokens({ model: MODEL_ID, messages: request.messages });
  const first = await client.messages.create(request);
  assert.equal(first.usage.input_tokens + first.usage.cache_read_input_tokens!, counted);
  // the same prompt again: its slot (or the prompt cache) holds it, and only what was not held is input_tokens
  const second = await client.messages.create(request);
  assert.equal(second.usage.input_tokens + second.usage.cache_read_input_tokens!, counted);
  assert.ok(second.usage.cache_read_input_tokens! > counted / 2, `cached ${second.usage.cache_read_input_tokens} of ${counted}`);
});

test("the raw stream: named events in Anthropic's order, each valid against the published schema", async () => {
  const response = await postJson(
    `${server.url}/v1/messages`,
    { model: MODEL_ID, max_tokens: 12, stream: true, messages: [{ role: "user", content: "Hello" }], ...greedy },
    { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const body = await response.text();
  assert.ok(body.endsWith("\n\n"));
  const events = body
    .slice(0, -2)
    .split("\n\n")
    .map((frame) => {
      const match = /^event: ([a-z_]+)\ndata: (.+)$/.exec(frame);
      assert.ok(match, `a named event: ${JSON.stringify(frame)}`);
      const data = JSON.parse(match[2]!) as { type: string };
      assert.equal(data.type, match[1], "the event's name is its type");
      assertAnthropicShape("MessageStreamEvent", data);
      return data;
    });
  const order = events.map((event) => event.type).join(" ");
  assert.match(order, /^message_start content_block_start ping( content_block_delta)+ content_block_stop message_delta message_stop$/);
  const start = events[0] as Anthropic.RawMessageStartEvent;
  assert.deepEqual([start.message.content, start.message.stop_reason, start.message.usage.output_tokens], [[], null, 0]);
  const delta = events.at(-2) as Anthropic.RawMessageDeltaEvent;
  assert.ok(delta.delta.stop_reason === "max_tokens" || delta.delta.stop_reason === "end_turn");
  assert.ok(delta.usage.output_tokens > 0);
});

test("a forced tool: one tool_use block whose input is valid for the tool's input_schema, stop_reason tool_use", async () => {
  const validate = new Ajv2020({ strict: false }).compile(weatherSchema);
  const message = await client.messages.create({
    model: MODEL_ID,
    max_tokens: 200,
    tools: [weatherTool, { name: "ping", input_schema: { type: "object" } }],
    tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
    messages: [{ role: "user", content: "What is the weather in Paris?" }],
  });
  assertAnthropicShape("Message", message);
  assert.equal(message.stop_reason, "tool_use");
  const calls = message.content.filter((block) => block.type === "tool_use");
  assert.equal(calls.length, 1);
  const call = calls[0]!;
  assert.match(call.id, /^toolu_[0-9a-f]{24}$/);
  assert.equal(call.name, "get_weather");
  assert.ok(validate(call.input), JSON.stringify(call.input));
});

test("a forced tool, streamed: the tool_use block's input comes as input_json_delta, and the helpers parse it", async () => {
  const stream = client.messages.stream({
    model: MODEL_ID,
    max_tokens: 200,
    tools: [weatherTool],
    tool_choice: { type: "any" },
    messages: [{ role: "user", content: "Weather in Oslo?" }],
  });
  const json = new Map<number, string>();
  stream.on("streamEvent", (event) => {
    if (event.type === "content_block_delta" && event.delta.type === "input_json_delta") json.set(event.index, (json.get(event.index) ?? "") + event.delta.partial_json);
  });
  const message = await stream.finalMessage();
  assertAnthropicShape("Message", message);
  assert.equal(message.stop_reason, "tool_use");
  const calls = [...message.content.entries()].filter(([, block]) => block.type === "tool_use");
  assert.ok(calls.length > 0);
  assert.deepEqual([...json.keys()], calls.map(([index]) => index));
  for (const [index, call] of calls) assert.deepEqual(JSON.parse(json.get(index)!), call.type === "tool_use" && call.input);
});

test("a tool_result turn renders into the prompt: its content is counted, and the conversation is answered", async () => {
  const turn = (result: string): Anthropic.MessageParam[] => [
    { role: "user", content: "What is the weather in Paris?" },
    { role: "assistant", content: [{ type: "text", text: "Let me look." }, { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris", unit: "c" } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: result }, { type: "text", text: "Thanks" }] },
  ];
  const count = async (result: string) => (await client.messages.countTokens({ model: MODEL_ID, tools: [weatherTool], messages: turn(result) })).input_tokens;
  assert.ok((await count("sunny and 21 degrees, with a light breeze from the west")) > (await count("sunny")));
  const answer = await client.messages.create({ model: MODEL_ID, max_tokens: 8, tools: [weatherTool], tool_choice: { type: "none" }, messages: turn("sunny") });
  assertAnthropicShape("Message", answer);
  assert.notEqual(answer.stop_reason, "tool_use");
});

test("errors through the SDK: 401 AuthenticationError, 404 NotFoundError, 400 BadRequestError, in Anthropic's body shape", async () => {
  const failure = async (call: Promise<unknown>): Promise<APIError> => {
    const error = await call.then(
      () => assert.fail("the request should have failed"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof APIError, String(error));
    assertAnthropicShape("ErrorResponse", error.error);
    return error;
  };
  const hello = { max_tokens: 4, messages: [{ role: "user" as const, content: "Hi" }] };
  const wrongKey = await failure(anthropic({ apiKey: "sk-wrong" }).messages.create({ model: MODEL_ID, ...hello }));
  assert.ok(wrongKey instanceof Anthropic.AuthenticationError);
  assert.equal(wrongKey.type, "authentication_error");

  const unknown = await failure(client.messages.create({ model: "claude-no-such-model", ...hello }));
  assert.ok(unknown instanceof Anthropic.NotFoundError);
  assert.equal(unknown.type, "not_found_error");
  assert.match(unknown.apiMessage ?? "", new RegExp(MODEL_ID));

  const badParam = await failure(client.messages.create({ model: MODEL_ID, ...hello, ...({ temperature: 1.5 } as object) }));
  assert.ok(badParam instanceof Anthropic.BadRequestError);
  assert.equal(badParam.type, "invalid_request_error");
  assert.match(badParam.apiMessage ?? "", /'temperature'/);

  const image = await failure(
    client.messages.create({
      model: MODEL_ID,
      max_tokens: 4,
      messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] }],
    }),
  );
  assert.ok(image instanceof Anthropic.BadRequestError);
  assert.match(image.apiMessage ?? "", /'image'/);
  const thinking = await failure(client.messages.create({ model: MODEL_ID, ...hello, thinking: { type: "enabled", budget_tokens: 1024 } }));
  assert.ok(thinking instanceof Anthropic.BadRequestError);
  assert.match(thinking.apiMessage ?? "", /thinking/i);
  const missing = await failure(client.messages.create({ model: MODEL_ID, messages: hello.messages } as Anthropic.MessageCreateParamsNonStreaming));
  assert.ok(missing instanceof Anthropic.BadRequestError);
  assert.match(missing.apiMessage ?? "", /'max_tokens'/);
});

test("the key: x-api-key or a Bearer token, any anthropic-version; a missing key is a 401 in Anthropic's shape", async () => {
  const bearer = await anthropic({ apiKey: null, authToken: KEY }).messages.countTokens({ model: MODEL_ID, messages: [{ role: "user", content: "Hi" }] });
  assert.ok(bearer.input_tokens > 0);
  const body = { model: MODEL_ID, messages: [{ role: "user", content: "Hi" }] };
  const versioned = await postJson(`${server.url}/v1/messages/count_tokens`, body, { "x-api-key": KEY, "anthropic-version": "2099-12-31" });
  assert.equal(versioned.status, 200);
  const none = await postJson(`${server.url}/v1/messages/count_tokens`, body);
  assert.equal(none.status, 401);
  const error = await none.json();
  assertAnthropicShape("ErrorResponse", error);
  assert.equal((error as { error: { type: string } }).error.type, "authentication_error");
});

test("a failure after the stream has begun is an error event in Anthropic's shape, and the slot is freed", async () => {
  const response = await postJson(
    `${server.url}/v1/messages`,
    { model: MODEL_ID, max_tokens: 2000, stream: true, messages: [{ role: "user", content: "A long story" }] },
    { "x-api-key": KEY },
  );
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value);
  faults.failNext(0, "decode");
  faults.failNext(1, "decode");
  // the server logs the engine's failure (and answers without its details)
  const log = console.error;
  console.error = () => undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    console.error = log;
    faults.reset();
  }
  const last = text.trimEnd().split("\n\n").at(-1)!;
  const match = /^event: error\ndata: (.+)$/.exec(last);
  assert.ok(match, last);
  const error = JSON.parse(match[1]!);
  assertAnthropicShape("ErrorResponse", error);
  assert.equal(error.error.type, "api_error");
  assert.ok(!text.includes("message_stop"));
  await waitUntil(() => server.engine.stats().slots.busy === 0, "the slot is free");
});

test("a stream's client that goes away frees its slot", async () => {
  const stream = client.messages.stream({ model: MODEL_ID, max_tokens: 4000, messages: [{ role: "user", content: "Go on and on" }] });
  await new Promise<void>((resolve) => stream.once("text", () => resolve()));
  assert.equal(server.engine.stats().slots.busy, 1);
  stream.abort();
  await stream.done().catch(() => undefined);
  await waitUntil(() => server.engine.stats().slots.busy === 0, "the aborted stream's slot is free");
});

test("a server without room: 503 overloaded_error with Retry-After, which the SDK retries after it (ServiceUnavailableError when it may not)", async () => {
  const long = { model: MODEL_ID, max_tokens: 4000, messages: [{ role: "user" as const, content: "Go on and on" }] };
  const streams = [client.messages.stream(long), client.messages.stream(long)];
  const ended = streams.map((stream) => stream.done().catch(() => undefined));
  const stopStreams = (): void => {
    for (const stream of streams) stream.abort();
  };
  try {
    await Promise.all(streams.map((stream) => new Promise<void>((resolve) => stream.once("text", () => resolve()))));
    const hello = { model: MODEL_ID, max_tokens: 4, messages: [{ role: "user" as const, content: "Hi" }] };
    const error = await client.messages.create(hello).catch((caught: unknown) => caught);
    assert.ok(error instanceof Anthropic.InternalServerError && error.status === 503, String(error));
    assert.equal(error.type, "overloaded_error");
    assertAnthropicShape("ErrorResponse", error.error);
    assert.equal(error.headers.get("retry-after"), "1");
    // with retries, the SDK waits the second it is told and asks again: by then the streams have left
    const statuses: number[] = [];
    const retrying = new Anthropic({
      baseURL: server.url,
      apiKey: KEY,
      maxRetries: 1,
      timeout: 60_000,
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        statuses.push(response.status);
        if (response.status === 503) stopStreams();
        return response;
      },
    });
    assertAnthropicShape("Message", await retrying.messages.create(hello));
    assert.deepEqual(statuses, [503, 200]);
  } finally {
    stopStreams();
    await Promise.all(ended);
  }
  await waitUntil(() => server.engine.stats().slots.busy === 0, "the streams' slots are free");
});
