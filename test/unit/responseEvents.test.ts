import assert from "node:assert/strict";
import { test } from "node:test";
import type { TokenLogprob } from "../../src/engine/types.js";
import { InvalidRequestError, RequestTimeoutError } from "../../src/errors/ApiError.js";
import type { ResponseStreamEvent } from "../../src/protocol/responseObjects.js";
import { responsesSse } from "../../src/server/responsesSse.js";
import { sseResponse } from "../../src/server/sseResponse.js";
import type { ChoiceResult, PipelineEvent } from "../../src/serving/pipelineTypes.js";
import { responseEvents } from "../../src/serving/responseEvents.js";
import type { ResponseRendering } from "../../src/serving/responseObject.js";
import { wholeResponse } from "../../src/serving/wholeResponse.js";
import type { ToolOutputEvent } from "../../src/tools/ToolCallParser.js";
import { assertOpenAiShape } from "../helpers/assertOpenAiShape.js";

const settings: ResponseRendering["settings"] = {
  model: "m",
  instructions: null,
  max_output_tokens: null,
  metadata: {},
  parallel_tool_calls: true,
  temperature: 1,
  top_p: 1,
  top_logprobs: 0,
  tool_choice: "auto",
  tools: [{ type: "function", name: "f", description: null, parameters: null, strict: true }],
  text: { format: { type: "text" } },
};
const rendering = (wantsLogprobs = false): ResponseRendering => ({ id: "resp_1", createdAt: 1_700_000_000, settings, wantsLogprobs });
const usage = { promptTokens: 10, completionTokens: 4, cachedTokens: 3 };
const content = (text: string): ToolOutputEvent => ({ type: "content", text });
const call = (name: string, args: string): ToolOutputEvent => ({ type: "call", call: { name, arguments: args } });
const token = (text: string, logprob: number): TokenLogprob => ({ token: 1, text, bytes: [...Buffer.from(text)], logprob, top: [{ token: 2, text: "x", bytes: [120], logprob: -3 }], offset: 0 });

/** The pipeline's events of one choice: started, its text events (pieces and logprobs), done. */
async function* pipeline(texts: Array<{ pieces: ToolOutputEvent[]; logprobs?: TokenLogprob[] }>, end: { pieces?: ToolOutputEvent[]; finishReason: "stop" | "length" | "tool_calls" | "content_filter" }, fail?: Error): AsyncGenerator<PipelineEvent> {
  yield { type: "start", index: 0, verdict: undefined };
  for (const text of texts) {
    yield { type: "text", index: 0, text: "", pieces: text.pieces, logprobs: text.logprobs ?? [], verdict: undefined };
  }
  if (fail) throw fail;
  yield { type: "done", index: 0, pieces: end.pieces ?? [], finishReason: end.finishReason, verdict: undefined, usage, timings: { queueMs: 0, promptMs: 0, generationMs: 0 } };
  yield { type: "usage", usage };
}

async function collect(events: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const out: ResponseStreamEvent[] = [];
  for await (const event of events) out.push(event);
  // every event is one of OpenAI's, and they are numbered from 0 without a gap
  for (const event of out) assertOpenAiShape("ResponseStreamEvent", event);
  assert.deepEqual(out.map((event) => event.sequence_number), out.map((_, i) => i));
  return out;
}

test("text: created, in_progress, the message's item and part, its deltas, their done events, completed with the whole response", async () => {
  const events = await collect(responseEvents(pipeline([{ pieces: [content("Hel")] }, { pieces: [content("lo")] }], { finishReason: "stop" }), rendering()));
  assert.deepEqual(events.map((event) => event.type), [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
  ]);
  const created = events[0] as Extract<ResponseStreamEvent, { type: "response.created" }>;
  assert.equal(created.response.status, "in_progress");
  assert.deepEqual(created.response.output, []);
  const done = events[6] as Extract<ResponseStreamEvent, { type: "response.output_text.done" }>;
  assert.equal(done.text, "Hello");
  const completed = (events.at(-1) as Extract<ResponseStreamEvent, { type: "response.completed" }>).response;
  assertOpenAiShape("Response", completed);
  assert.equal(completed.status, "completed");
  assert.equal(completed.incomplete_details, null);
  assert.equal(typeof completed.completed_at, "number");
  assert.deepEqual(completed.usage, { input_tokens: 10, input_tokens_details: { cached_tokens: 3, cache_write_tokens: 0 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 14 });
  const [message] = completed.output;
  assert.equal(message?.type, "message");
  assert.match(message!.id, /^msg_[0-9a-f]{48}$/);
  assert.equal(message!.type === "message" && message!.content[0]!.text, "Hello");
  // every event of the message names it
  for (const event of events.slice(3, 8)) assert.equal((event as { item_id: string }).item_id, message!.id);
});

test("text then a call: the message is done before the call's item, whose arguments come whole; calls keep their order", async () => {
  const events = await collect(responseEvents(pipeline([{ pieces: [content("Sure."), call("f", '{"a":1}')] }], { pieces: [call("f", "{}")], finishReason: "tool_calls" }), rendering()));
  assert.deepEqual(events.map((event) => event.type).slice(2), [
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.output_item.done",
    "response.completed",
  ]);
  const response = (events.at(-1) as Extract<ResponseStreamEvent, { type: "response.completed" }>).response;
  assert.deepEqual(response.output.map((item) => [item.type, item.status]), [["message", "completed"], ["function_call", "completed"], ["function_call", "completed"]]);
  const calls = response.output.flatMap((item) => (item.type === "function_call" ? [item] : []));
  assert.deepEqual(calls.map((item) => [item.name, item.arguments]), [["f", '{"a":1}'], ["f", "{}"]]);
  for (const item of calls) {
    assert.match(item.id, /^fc_[0-9a-f]{48}$/);
    assert.match(item.call_id, /^call_[0-9a-f]{24}$/);
  }
  const added = events.find((event) => event.type === "response.output_item.added" && event.item.type === "function_call") as Extract<ResponseStreamEvent, { type: "response.output_item.added" }>;
  assert.equal(added.output_index, 1);
  assert.deepEqual([added.item.status, added.item.type === "function_call" && added.item.arguments], ["in_progress", ""]);
});

test("tokens run out: the message is incomplete and the response ends with response.incomplete (max_output_tokens); nothing written is still a message", async () => {
  const cut = await collect(responseEvents(pipeline([{ pieces: [content("abc")] }], { finishReason: "length" }), rendering()));
  const last = cut.at(-1) as Extract<ResponseStreamEvent, { type: "response.incomplete" }>;
  assert.equal(last.type, "response.incomplete");
  assert.equal(last.response.status, "incomplete");
  assert.deepEqual(last.response.incomplete_details, { reason: "max_output_tokens" });
  assert.equal(last.response.completed_at, null);
  assert.equal(last.response.output[0]!.status, "incomplete");
  const withheld = await collect(responseEvents(pipeline([], { finishReason: "content_filter" }), rendering()));
  assert.deepEqual(withheld.map((event) => event.type).slice(2), [
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.incomplete",
  ]);
  assert.deepEqual((withheld.at(-1) as Extract<ResponseStreamEvent, { type: "response.incomplete" }>).response.incomplete_details, { reason: "content_filter" });
});

test("logprobs, when asked: each delta carries its tokens', the done events all of them (with bytes in the item)", async () => {
  const events = await collect(responseEvents(pipeline([{ pieces: [content("a")], logprobs: [token("a", -0.5)] }, { pieces: [content("b")], logprobs: [token("b", -1)] }], { finishReason: "stop" }), rendering(true)));
  const deltas = events.filter((event) => event.type === "response.output_text.delta") as Array<Extract<ResponseStreamEvent, { type: "response.output_text.delta" }>>;
  assert.deepEqual(deltas.map((delta) => delta.logprobs.map((l) => [l.token, l.logprob])), [[["a", -0.5]], [["b", -1]]]);
  assert.deepEqual(deltas[0]!.logprobs[0]!.top_logprobs, [{ token: "x", logprob: -3 }]);
  const done = events.find((event) => event.type === "response.output_text.done") as Extract<ResponseStreamEvent, { type: "response.output_text.done" }>;
  assert.deepEqual(done.logprobs.map((l) => l.token), ["a", "b"]);
  const response = (events.at(-1) as Extract<ResponseStreamEvent, { type: "response.completed" }>).response;
  const part = response.output[0]!.type === "message" ? response.output[0]!.content[0]! : undefined;
  assert.deepEqual(part?.logprobs, [
    { token: "a", logprob: -0.5, bytes: [97], top_logprobs: [{ token: "x", logprob: -3, bytes: [120] }] },
    { token: "b", logprob: -1, bytes: [98], top_logprobs: [{ token: "x", logprob: -3, bytes: [120] }] },
  ]);
  // not asked: none
  const plain = await collect(responseEvents(pipeline([{ pieces: [content("a")], logprobs: [token("a", -0.5)] }], { finishReason: "stop" }), rendering(false)));
  for (const event of plain) if (event.type === "response.output_text.delta") assert.deepEqual(event.logprobs, []);
});

test("a failure after the start (the deadline): an error event with its code, then response.failed; a refusal before it is thrown", async () => {
  const events = await collect(responseEvents(pipeline([{ pieces: [content("a")] }], { finishReason: "stop" }, new RequestTimeoutError(1000)), rendering()));
  const [error, failed] = events.slice(-2) as [Extract<ResponseStreamEvent, { type: "error" }>, Extract<ResponseStreamEvent, { type: "response.failed" }>];
  assert.deepEqual({ ...error, message: "" }, { type: "error", code: "timeout", message: "", param: null, sequence_number: events.length - 2 });
  assert.match(error.message, /request timeout/);
  assert.equal(failed.type, "response.failed");
  assert.equal(failed.response.status, "failed");
  assert.equal(failed.response.error?.code, "server_error");
  assert.equal(failed.response.output.length, 1);
  async function* refused(): AsyncGenerator<PipelineEvent> {
    yield* [];
    throw new InvalidRequestError("no", "input");
  }
  // nothing started: the error is left to the route (a plain status)
  await assert.rejects(responseEvents(refused(), rendering()).next(), InvalidRequestError);
});

test("the Responses SSE: named events, no [DONE]; an internal fault is an error event numbered after the last event, without internals", async () => {
  async function* events(): AsyncGenerator<ResponseStreamEvent> {
    yield* (await collect(responseEvents(pipeline([{ pieces: [content("a")] }], { finishReason: "stop" }), rendering()))).slice(0, 2);
    throw new Error("boom: secret internals");
  }
  const original = console.error;
  console.error = () => undefined;
  try {
    const text = await (await sseResponse(events(), responsesSse())).text();
    const frames = text.slice(0, -2).split("\n\n");
    assert.equal(frames.length, 3);
    for (const frame of frames) {
      const [name, data] = frame.split("\n");
      assert.equal(name, `event: ${JSON.parse(data!.slice("data: ".length)).type}`);
    }
    assert.equal(frames[2], 'event: error\ndata: {"type":"error","code":"internal_error","message":"The server had an error while processing your request.","param":null,"sequence_number":2}');
    assert.ok(!text.includes("[DONE]"));
  } finally {
    console.error = original;
  }
});

test("the whole response: content runs as messages and calls as items in order, a trailing message incomplete when cut, logprobs with the first message", () => {
  const result = (pieces: ToolOutputEvent[], finishReason: ChoiceResult["finishReason"], logprobs: TokenLogprob[] = []): ChoiceResult => ({ index: 0, text: "", pieces, promptLogprobs: [], logprobs, finishReason, verdict: undefined, timings: { queueMs: 0, promptMs: 0, generationMs: 0 } });
  const mixed = wholeResponse(result([content("a"), content("b"), call("f", "{}"), content("c")], "length", [token("a", -1)]), usage, rendering(true));
  assertOpenAiShape("Response", mixed);
  assert.match(mixed.id, /^resp_/);
  assert.deepEqual(mixed.output.map((item) => [item.type, item.status]), [["message", "completed"], ["function_call", "completed"], ["message", "incomplete"]]);
  assert.equal(mixed.output[0]!.type === "message" && mixed.output[0]!.content[0]!.text, "ab");
  assert.equal(mixed.output[0]!.type === "message" && mixed.output[0]!.content[0]!.logprobs.length, 1);
  assert.equal(mixed.status, "incomplete");
  const empty = wholeResponse(result([], "stop"), usage, rendering());
  assertOpenAiShape("Response", empty);
  assert.equal(empty.status, "completed");
  assert.deepEqual(empty.output.map((item) => item.type === "message" && item.content[0]!.text), [""]);
  const calls = wholeResponse(result([call("f", '{"a":1}')], "tool_calls"), usage, rendering());
  assert.deepEqual(calls.output.map((item) => item.type), ["function_call"]);
  assert.equal(calls.status, "completed");
});
