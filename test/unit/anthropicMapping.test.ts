import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ApiError,
  AuthenticationError,
  InvalidRequestError,
  ModelNotFoundError,
  ModelUnavailableError,
  PayloadTooLargeError,
  RequestTimeoutError,
  ServerOverloadedError,
} from "../../src/errors/ApiError.js";
import { anthropicCountTokensRequestSchema, anthropicMessagesRequestSchema } from "../../src/protocol/anthropicRequests.js";
import type { AnthropicStreamEvent } from "../../src/protocol/anthropicResponses.js";
import { parseRequest } from "../../src/protocol/parseRequest.js";
import { toAnthropicChatParams } from "../../src/protocol/toAnthropicChatParams.js";
import type { ChatParams } from "../../src/protocol/toGenerationParams.js";
import { renderAnthropicError } from "../../src/server/renderAnthropicError.js";
import { anthropicEvents, anthropicStop } from "../../src/serving/anthropicEvents.js";
import type { PipelineEvent } from "../../src/serving/pipelineTypes.js";

const VOCABULARY = 32_000;
const weather = { name: "get_weather", description: "The weather", input_schema: { type: "object", properties: { city: { type: "string" } } } };
const ping = { name: "ping", input_schema: { type: "object" } };

/** The request as the route validates it, then mapped. */
function map(body: Record<string, unknown>): ChatParams {
  return toAnthropicChatParams(parseRequest(anthropicMessagesRequestSchema, { model: "m", max_tokens: 16, ...body }), VOCABULARY);
}

/** The 400 a body gets, validated or mapped. */
function refusal(body: Record<string, unknown>): InvalidRequestError {
  try {
    map(body);
  } catch (error) {
    assert.ok(error instanceof InvalidRequestError, String(error));
    return error;
  }
  return assert.fail("the request should have been refused");
}

const user = (content: unknown) => ({ role: "user", content });

describe("toAnthropicChatParams: a Messages API request as the dialect-neutral conversation", () => {
  test("system first (a string, or its text blocks), text blocks as text, sampling and stops as asked, one answer", () => {
    const params = map({
      system: [{ type: "text", text: "Be brief." }, { type: "text", text: "Be kind.", cache_control: { type: "ephemeral" } }],
      messages: [user([{ type: "text", text: "Hello" }, { type: "text", text: "there" }])],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["END"],
      stream: true,
      metadata: { user_id: "u1" },
    });
    assert.deepEqual(params.messages, [
      { role: "system", content: "Be brief.\nBe kind." },
      { role: "user", content: "Hello\nthere" },
    ]);
    assert.deepEqual([params.sampling.temperature, params.sampling.topP, params.sampling.topK, params.sampling.seed], [0.5, 0.9, 40, undefined]);
    assert.deepEqual([params.stop, params.stream, params.maxTokens, params.n, params.logprobs], [["END"], true, 16, 1, undefined]);
    assert.deepEqual([params.tools, params.output, params.toolNames, params.singleCall], [[], undefined, undefined, false]);
    assert.deepEqual(map({ system: "S", messages: [user("Hi")] }).messages[0], { role: "system", content: "S" });
    assert.equal(map({ messages: [user("Hi")] }).sampling.temperature, 1, "Anthropic's default");
  });

  test("an assistant's tool_use blocks are its calls; a user's tool_result blocks are tool messages, in their order", () => {
    const params = map({
      tools: [weather],
      messages: [
        user("Weather?"),
        { role: "assistant", content: [{ type: "text", text: "Looking." }, { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } }] },
        user([
          { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "cold" }, { type: "text", text: "windy" }] },
          { type: "tool_result", tool_use_id: "toolu_2", content: "no such city", is_error: true },
          { type: "text", text: "And tomorrow?" },
        ]),
      ],
    });
    assert.deepEqual(params.messages.slice(1), [
      { role: "assistant", content: "Looking.", toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
      { role: "tool", toolCallId: "toolu_1", content: "cold\nwindy" },
      { role: "tool", toolCallId: "toolu_2", content: "Error: no such city" },
      { role: "user", content: "And tomorrow?" },
    ]);
    assert.deepEqual(params.tools, [{ name: "get_weather", description: "The weather", parameters: weather.input_schema }]);
  });

  test("tool_choice: auto offers the tools, any and tool force calls (disable_parallel_tool_use: exactly one), none offers nothing", () => {
    const auto = map({ tools: [weather, ping], messages: [user("Hi")] });
    assert.deepEqual([auto.output, [...auto.toolNames!], auto.singleCall], [undefined, ["get_weather", "ping"], false]);
    const single = map({ tools: [weather], tool_choice: { type: "auto", disable_parallel_tool_use: true }, messages: [user("Hi")] });
    assert.equal(single.singleCall, true);
    const any = map({ tools: [weather, ping], tool_choice: { type: "any" }, messages: [user("Hi")] });
    assert.ok(any.output?.type === "tool_calls");
    assert.deepEqual([any.output.tools.map((forced) => forced.param), any.output.parallel], [["tools[0].input_schema", "tools[1].input_schema"], true]);
    const named = map({ tools: [weather, ping], tool_choice: { type: "tool", name: "ping", disable_parallel_tool_use: true }, messages: [user("Hi")] });
    assert.ok(named.output?.type === "tool_calls");
    assert.deepEqual([named.output.tools.map((forced) => forced.tool.name), named.output.parallel, named.singleCall], [["ping"], false, true]);
    const none = map({ tools: [weather], tool_choice: { type: "none" }, messages: [user("Hi")] });
    assert.deepEqual([none.tools, none.toolNames, none.output], [[], undefined, undefined]);
    const unknown = refusal({ tools: [weather], tool_choice: { type: "tool", name: "nope" }, messages: [user("Hi")] });
    assert.equal(unknown.param, "tool_choice");
  });

  test("output_config.format is the JSON output, its schema's errors pointed at it; refused together with tools", () => {
    const schema = { type: "object", properties: { a: { type: "integer" } } };
    assert.deepEqual(map({ output_config: { format: { type: "json_schema", schema } }, messages: [user("Hi")] }).output, { type: "json", schema, param: "output_config.format.schema" });
    assert.equal(refusal({ tools: [weather], output_config: { format: { type: "json_schema", schema } }, messages: [user("Hi")] }).param, "output_config.format");
  });

  test("what would change the answer and is not served is a 400 naming it", () => {
    const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } };
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ messages: [user([{ type: "text", text: "Look" }, image])] }, "messages[0].content[1].type", /'image'.*text only/],
      [{ messages: [user([{ type: "document", source: {} }])] }, "messages[0].content[0].type", /'document'/],
      [{ messages: [user("Hi"), { role: "assistant", content: [{ type: "thinking", thinking: "hm", signature: "s" }] }, user("Go")] }, "messages[1].content[0].type", /extended thinking/],
      [{ messages: [user([{ type: "tool_result", tool_use_id: "t", content: [image] }])] }, "messages[0].content[0].content[0].type", /'image'/],
      [{ thinking: { type: "enabled", budget_tokens: 2048 }, messages: [user("Hi")] }, "thinking", /thinking/i],
      [{ tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [user("Hi")] }, "tools[0].type", /web_search_20250305/],
      [{ tools: [{ name: "no_schema" }], messages: [user("Hi")] }, "tools[0].input_schema", /Missing/],
      [{ messages: [user("Hi"), { role: "assistant", content: "The answer is" }] }, "messages[1].role", /prefill/],
      [{ messages: [user([{ type: "tool_use", id: "t", name: "ping", input: {} }])] }, "messages[0].content[0].type", /assistant message/],
      [{ messages: [user("Hi"), { role: "assistant", content: [{ type: "tool_result", tool_use_id: "t" }] }, user("Go")] }, "messages[1].content[0].type", /user message/],
    ];
    for (const [body, param, message] of cases) {
      const error = refusal(body);
      assert.equal(error.param, param, JSON.stringify(body));
      assert.match(error.message, message);
    }
    assert.doesNotThrow(() => map({ thinking: { type: "disabled" }, messages: [user("Hi")] }));
  });

  test("the schema names the field at fault: a missing max_tokens, a known block's missing field, a value out of range", () => {
    const missing = refusal({ max_tokens: undefined, messages: [user("Hi")] });
    assert.deepEqual([missing.param, missing.code], ["max_tokens", "missing_required_parameter"]);
    const input = refusal({ messages: [user("Hi"), { role: "assistant", content: [{ type: "tool_use", id: "t", name: "ping" }] }, user("Go")] });
    assert.deepEqual([input.param, input.code], ["messages[1].content[0].input", "missing_required_parameter"]);
    assert.equal(refusal({ temperature: 1.5, messages: [user("Hi")] }).param, "temperature");
    assert.equal(refusal({ messages: [{ role: "system", content: "Hi" }] }).param, "messages[0].role");
    assert.equal(refusal({ stop_sequences: ["a", "b", "c", "d", "e"], messages: [user("Hi")] }).param, "stop_sequences");
  });

  test("count_tokens: the same conversation without max_tokens", () => {
    const request = parseRequest(anthropicCountTokensRequestSchema, { model: "m", system: "S", tools: [weather], messages: [user("Hi")] });
    const params = toAnthropicChatParams(request, VOCABULARY);
    assert.deepEqual([params.messages.length, params.tools.length, params.maxTokens], [2, 1, undefined]);
  });
});

describe("anthropicEvents: the pipeline's events as Anthropic's stream", () => {
  const timings = { queueMs: 0, promptMs: 0, generationMs: 0 };
  const usage = { promptTokens: 10, completionTokens: 5, cachedTokens: 4 };
  async function* source(events: PipelineEvent[]): AsyncGenerator<PipelineEvent> {
    yield* events;
  }
  async function collect(events: PipelineEvent[], stopSequences: string[] = []): Promise<AnthropicStreamEvent[]> {
    const out: AnthropicStreamEvent[] = [];
    for await (const event of anthropicEvents(source(events), { id: "msg_1", model: "m", promptTokens: 10, stopSequences })) out.push(event);
    return out;
  }
  const text = (content: string): PipelineEvent => ({ type: "text", index: 0, text: content, pieces: [{ type: "content", text: content }], logprobs: [], verdict: undefined });

  test("text then a call: a text block, ping after its start, a tool_use block with its input whole, the stop and the usage", async () => {
    const call = { type: "call" as const, call: { name: "get_weather", arguments: '{"city":"Oslo"}' } };
    const events = await collect([
      { type: "start", index: 0, verdict: undefined },
      text("Hel"),
      text("lo"),
      { type: "done", index: 0, pieces: [call], finishReason: "tool_calls", verdict: undefined, usage, timings },
      { type: "usage", usage },
    ]);
    const toolUse = events[6];
    assert.ok(toolUse?.type === "content_block_start" && toolUse.content_block.type === "tool_use");
    assert.match(toolUse.content_block.id, /^toolu_[0-9a-f]{24}$/);
    assert.deepEqual(events, [
      {
        type: "message_start",
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          content: [],
          model: "m",
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
      },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "ping" },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: toolUse.content_block.id, name: "get_weather", input: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"city":"Oslo"}' } },
      { type: "content_block_stop", index: 1 },
      { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { input_tokens: 6, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 4 } },
      { type: "message_stop" },
    ]);
  });

  test("no output at all: no block, the ping before the end; the client's stop sequence is reported", async () => {
    const events = await collect(
      [
        { type: "start", index: 0, verdict: undefined },
        { type: "done", index: 0, pieces: [], finishReason: "stop", stopSequence: "END", verdict: undefined, usage, timings },
      ],
      ["END"],
    );
    assert.deepEqual(events.map((event) => event.type), ["message_start", "ping", "message_delta", "message_stop"]);
    assert.deepEqual(events[2]?.type === "message_delta" && events[2].delta, { stop_reason: "stop_sequence", stop_sequence: "END" });
  });

  test("anthropicStop: only the client's stop sequences are stop_sequence; the other ends by their kind", () => {
    assert.deepEqual(anthropicStop("stop", "END", ["END"]), { stop_reason: "stop_sequence", stop_sequence: "END" });
    assert.deepEqual(anthropicStop("stop", "### Instruction:", ["END"]), { stop_reason: "end_turn", stop_sequence: null });
    assert.deepEqual(anthropicStop("stop", undefined, []), { stop_reason: "end_turn", stop_sequence: null });
    assert.equal(anthropicStop("length", undefined, []).stop_reason, "max_tokens");
    assert.equal(anthropicStop("tool_calls", undefined, []).stop_reason, "tool_use");
    assert.equal(anthropicStop("content_filter", undefined, []).stop_reason, "refusal");
  });
});

test("renderAnthropicError: Anthropic's type by status, the message kept", () => {
  const cases: Array<[ApiError, string]> = [
    [new InvalidRequestError("bad", "x"), "invalid_request_error"],
    [new AuthenticationError(), "authentication_error"],
    [new ApiError(403, "no", "permission_denied"), "permission_error"],
    [new ModelNotFoundError("m", ["a"]), "not_found_error"],
    [new PayloadTooLargeError(10), "request_too_large"],
    [new ApiError(429, "slow down", "rate_limit_exceeded"), "rate_limit_error"],
    [new ServerOverloadedError("full", 1), "overloaded_error"],
    [new ModelUnavailableError("loading failed", 1), "overloaded_error"],
    [new RequestTimeoutError(1000), "timeout_error"],
    [new ApiError(502, "bad gateway", "server_error"), "api_error"],
    [new ApiError(499, "gone", "invalid_request_error"), "invalid_request_error"],
  ];
  for (const [error, type] of cases) assert.deepEqual(renderAnthropicError(error), { type: "error", error: { type, message: error.message } });
});
