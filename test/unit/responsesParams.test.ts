import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidRequestError } from "../../src/errors/ApiError.js";
import { parseRequest } from "../../src/protocol/parseRequest.js";
import { responsesRequestSchema } from "../../src/protocol/responsesRequest.js";
import { toResponsesParams } from "../../src/protocol/toResponsesParams.js";
import { compileGeneration } from "../../src/serving/compileGeneration.js";

/** A Responses request as the route reads it, then mapped as the service maps it. */
const mapped = (body: Record<string, unknown>) => toResponsesParams(parseRequest(responsesRequestSchema, { model: "m", input: "hi", ...body }), 32000);

function rejects(body: Record<string, unknown>, param: string, code?: string): void {
  assert.throws(
    () => mapped(body),
    (error: unknown) => error instanceof InvalidRequestError && error.status === 400 && error.param === param && (code === undefined || error.code === code),
    JSON.stringify(body),
  );
}

const weather = { type: "function", name: "get_weather", description: "The weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }, strict: true };

test("a string input is one user message after the instructions; OpenAI's sampling defaults; store absent is stateless", () => {
  const params = mapped({ instructions: "Be brief.", max_output_tokens: 32, stream: true });
  assert.deepEqual(params.messages, [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }]);
  assert.equal(params.maxTokens, 32);
  assert.equal(params.stream, true);
  assert.equal(params.n, 1);
  assert.deepEqual(params.stop, []);
  assert.equal(params.sampling.temperature, 1);
  assert.equal(params.sampling.topP, 1);
  assert.equal(params.logprobs, undefined);
  assert.equal(params.output, undefined);
  assert.equal(params.toolNames, undefined);
  const sampled = mapped({ temperature: 0.2, top_p: 0.5, store: false });
  assert.equal(sampled.sampling.temperature, 0.2);
  assert.equal(sampled.sampling.topP, 0.5);
  assert.equal(sampled.maxTokens, undefined);
});

test("items: roles (developer as system), text parts joined, calls join the assistant turn they follow, outputs are tool results", () => {
  const params = mapped({
    input: [
      { role: "developer", content: "Rules." },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Weather " }, { type: "input_text", text: "in Paris?" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Let me look.", annotations: [] }] },
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "function_call", call_id: "call_2", name: "get_weather", arguments: '{"city":"Lyon"}' },
      { type: "function_call_output", call_id: "call_1", output: "18C" },
      { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "20C" }] },
      { type: "function_call", call_id: "call_3", name: "get_weather", arguments: "{}" },
    ],
    tools: [weather],
  });
  assert.deepEqual(params.messages, [
    { role: "system", content: "Rules." },
    { role: "user", content: "Weather in Paris?" },
    {
      role: "assistant",
      content: "Let me look.",
      toolCalls: [
        { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { id: "call_2", name: "get_weather", arguments: '{"city":"Lyon"}' },
      ],
    },
    { role: "tool", content: "18C", toolCallId: "call_1" },
    { role: "tool", content: "20C", toolCallId: "call_2" },
    { role: "assistant", content: "", toolCalls: [{ id: "call_3", name: "get_weather", arguments: "{}" }] },
  ]);
});

test("function tools and tool_choice as chat's: offered, forced (one call without parallel_tool_calls), none, an unknown name", () => {
  const auto = mapped({ tools: [weather, { type: "function", name: "ping", parameters: null, strict: null }] });
  assert.deepEqual(auto.tools, [{ name: "get_weather", description: "The weather", parameters: weather.parameters }, { name: "ping" }]);
  assert.deepEqual([...auto.toolNames!], ["get_weather", "ping"]);
  assert.equal(auto.output, undefined);
  const forced = mapped({ tools: [weather], tool_choice: { type: "function", name: "get_weather" }, parallel_tool_calls: false });
  assert.equal(forced.singleCall, true);
  assert.deepEqual(forced.output, { type: "tool_calls", tools: [{ tool: forced.tools[0], param: "tools[0].parameters" }], parallel: false, param: "tools" });
  assert.equal(mapped({ tools: [weather], tool_choice: "required" }).output?.type, "tool_calls");
  const none = mapped({ tools: [weather], tool_choice: "none" });
  assert.deepEqual(none.tools, []);
  assert.equal(none.toolNames, undefined);
  rejects({ tools: [weather], tool_choice: { type: "function", name: "nope" } }, "tool_choice", "invalid_value");
  rejects({ tools: [weather], tool_choice: { type: "function" } }, "tool_choice.name", "missing_required_parameter");
  rejects({ tool_choice: "required" }, "tool_choice", "invalid_value");
  rejects({ tools: [weather, weather] }, "tools", "invalid_value");
  // a schema the grammar cannot enforce is located in the Responses request
  assert.throws(
    () => compileGeneration(mapped({ tools: [{ ...weather, parameters: { type: "object", properties: { city: { type: "string", pattern: "^P" } } } }], tool_choice: "required" })),
    (error: unknown) => error instanceof InvalidRequestError && error.param === "tools[0].parameters.properties.city.pattern",
  );
});

test("text.format: json_schema and json_object as the output's JSON; not together with tools", () => {
  const schema = { type: "object", properties: { a: { type: "integer" } }, required: ["a"], additionalProperties: false };
  assert.deepEqual(mapped({ text: { format: { type: "json_schema", name: "x", schema, strict: true } } }).output, { type: "json", schema, param: "text.format.schema" });
  assert.deepEqual(mapped({ text: { format: { type: "json_object" } } }).output, { type: "json", schema: undefined, param: "text.format" });
  assert.equal(mapped({ text: { format: { type: "text" }, verbosity: "medium" } }).output, undefined);
  rejects({ text: { format: { type: "json_object" } }, tools: [weather] }, "text.format", "unsupported_parameter");
  rejects({ text: { format: { type: "json_schema", name: "x" } } }, "text.format.schema", "missing_required_parameter");
});

test("logprobs: asked with include (top_logprobs alternatives), or with top_logprobs alone", () => {
  assert.equal(mapped({ include: ["message.output_text.logprobs"] }).logprobs, 0);
  assert.equal(mapped({ include: ["message.output_text.logprobs"], top_logprobs: 3 }).logprobs, 3);
  assert.equal(mapped({ top_logprobs: 2 }).logprobs, 2);
  assert.equal(mapped({ include: ["reasoning.encrypted_content"] }).logprobs, undefined);
  rejects({ include: ["everything"] }, "include[0]", "invalid_value");
});

test("what needs stored responses, reasoning, built-in tools or non-text input is a 400 naming it", () => {
  rejects({ store: true }, "store", "unsupported_parameter");
  rejects({ previous_response_id: "resp_1" }, "previous_response_id", "unsupported_parameter");
  rejects({ conversation: "conv_1" }, "conversation", "unsupported_parameter");
  rejects({ background: true }, "background", "unsupported_parameter");
  rejects({ prompt: { id: "pmpt_1" } }, "prompt", "unsupported_parameter");
  rejects({ truncation: "auto" }, "truncation", "unsupported_parameter");
  rejects({ context_management: [{ type: "compaction" }] }, "context_management", "unsupported_parameter");
  rejects({ reasoning: { effort: "high" } }, "reasoning.effort", "unsupported_parameter");
  rejects({ reasoning: { summary: "auto" } }, "reasoning.summary", "unsupported_parameter");
  rejects({ text: { verbosity: "low" } }, "text.verbosity", "unsupported_parameter");
  rejects({ tools: [weather, { type: "web_search" }] }, "tools[1].type", "unsupported_parameter");
  rejects({ tools: [weather], tool_choice: { type: "web_search_preview" } }, "tool_choice.type", "unsupported_parameter");
  rejects({ input: [{ role: "user", content: [{ type: "input_text", text: "see" }, { type: "input_image", image_url: "https://x/y.png" }] }] }, "input[0].content[1].type", "unsupported_parameter");
  rejects({ input: [{ type: "function_call_output", call_id: "c", output: [{ type: "input_file", file_id: "f" }] }] }, "input[0].output[0].type", "unsupported_parameter");
  rejects({ input: [{ role: "user", content: "hi" }, { type: "reasoning", id: "rs_1", summary: [] }] }, "input[1].type", "unsupported_parameter");
  rejects({ input: [{ type: "item_reference", id: "msg_1" }] }, "input[0].type", "unsupported_parameter");
  // accepted: what changes nothing here
  assert.equal(mapped({ store: false, reasoning: { effort: "none" }, truncation: "disabled", metadata: { a: "b" }, user: "u", service_tier: "auto", prompt_cache_key: "k" }).messages.length, 1);
});

test("the schema's own 400s: OpenAI's bounds, item shapes, types nobody defines", () => {
  rejects({ max_output_tokens: 15 }, "max_output_tokens", "invalid_value");
  rejects({ temperature: 2.5 }, "temperature", "invalid_value");
  rejects({ top_logprobs: 21 }, "top_logprobs", "invalid_value");
  rejects({ input: [] }, "input", "invalid_value");
  rejects({ input: [{ type: "function_call", call_id: "c", name: "f" }] }, "input[0].arguments", "missing_required_parameter");
  rejects({ input: [{ role: "tool", content: "x" }] }, "input[0].role", "invalid_value");
  rejects({ input: [{ type: "teleport" }] }, "input[0].type", "invalid_value");
  rejects({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "metadata", "invalid_value");
  assert.throws(() => parseRequest(responsesRequestSchema, { model: "m" }), (error: unknown) => error instanceof InvalidRequestError && error.param === "input");
});
