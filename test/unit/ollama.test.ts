import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatResponse, EmbedResponse, GenerateResponse, ListResponse, ShowResponse } from "ollama";
import { InvalidRequestError, ModelNotFoundError, ServerOverloadedError } from "../../src/errors/ApiError.js";
import type { GgufDetails } from "../../src/engine/readGgufDetails.js";
import { ollamaChatRequestSchema, ollamaGenerateRequestSchema } from "../../src/protocol/ollama.js";
import type { OllamaChatChunk, OllamaEmbedResponse, OllamaGenerateChunk, OllamaModelEntry, OllamaRunningModel, OllamaShowResponse } from "../../src/protocol/ollamaResponses.js";
import { parseRequest } from "../../src/protocol/parseRequest.js";
import { keepAliveUnloads, OLLAMA_DEFAULTS, toOllamaChatParams, toOllamaGenerateParams } from "../../src/protocol/toOllamaParams.js";
import { renderOllamaError } from "../../src/server/renderOllamaError.js";
import { ollamaChatChunks, ollamaChatResponse, ollamaGenerateChunks, type OllamaRendering } from "../../src/serving/ollamaChunks.js";
import { ollamaModelDetails } from "../../src/serving/ollamaModelDetails.js";
import { ollamaModelName } from "../../src/serving/ollamaModelName.js";
import { compileGeneration } from "../../src/serving/compileGeneration.js";
import type { ChoiceResult, PipelineEvent } from "../../src/serving/pipelineTypes.js";

const CONTEXT = 4096;
const chat = (extra: Record<string, unknown>) => toOllamaChatParams(parseRequest(ollamaChatRequestSchema, { model: "m", messages: [{ role: "user", content: "hi" }], ...extra }), CONTEXT);
const generate = (extra: Record<string, unknown>) => toOllamaGenerateParams(parseRequest(ollamaGenerateRequestSchema, { model: "m", prompt: "hi", ...extra }), CONTEXT);

function rejects(fn: () => unknown, param: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof InvalidRequestError && error.param === param && (message === undefined || message.test(error.message)));
}

/**
 * Compile-time: every object the routes send is assignable to the official client's type of it (Ollama publishes
 * no schema). The client types its times as `Date` and `model_info` as a `Map`, which JSON cannot carry: on the
 * wire they are RFC 3339 strings and an object, as Ollama sends them, so those fields are left out of the check.
 */
type Wire<T, Times extends keyof T> = Omit<T, Times>;
export const shapes = {
  chat: (chunk: Extract<OllamaChatChunk, { done: true }>): Wire<ChatResponse, "created_at"> => chunk,
  // the client's `context` is required: Ollama leaves it out for a raw prompt, as these routes do
  generate: (chunk: Extract<OllamaGenerateChunk, { done: true }> & { context: number[] }): Wire<GenerateResponse, "created_at"> => chunk,
  embed: (response: OllamaEmbedResponse): EmbedResponse => response,
  tags: (entry: OllamaModelEntry): Wire<ListResponse["models"][number], "modified_at" | "expires_at" | "size_vram"> => entry,
  ps: (entry: OllamaRunningModel): Wire<ListResponse["models"][number], "modified_at" | "expires_at"> => entry,
  show: (response: OllamaShowResponse): Wire<ShowResponse, "modified_at" | "model_info" | "messages"> => response,
};

test("chat: Ollama's defaults, its options mapped to sampling, num_predict and stop", () => {
  const plain = chat({});
  assert.deepEqual(
    { ...plain.sampling, logitBias: [...plain.sampling.logitBias] },
    { temperature: OLLAMA_DEFAULTS.temperature, topK: 40, topP: 0.9, minP: 0, seed: undefined, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1.1, logitBias: [] },
  );
  assert.equal(plain.stream, true, "Ollama streams unless told not to");
  assert.equal(plain.maxTokens, undefined);
  const options = { temperature: 0.2, top_k: 5, top_p: 0.5, min_p: 0.1, seed: 42, num_predict: 7, stop: ["END"], repeat_penalty: 1.3, presence_penalty: 0.5, frequency_penalty: -0.5 };
  const tuned = chat({ options: { ...options, mirostat: 2, num_thread: 8 }, stream: false });
  assert.deepEqual(
    { ...tuned.sampling, logitBias: [...tuned.sampling.logitBias] },
    { temperature: 0.2, topK: 5, topP: 0.5, minP: 0.1, seed: 42, presencePenalty: 0.5, frequencyPenalty: -0.5, repetitionPenalty: 1.3, logitBias: [] },
  );
  assert.equal(tuned.maxTokens, 7);
  assert.deepEqual(tuned.stop, ["END"]);
  assert.equal(tuned.stream, false);
  // Ollama's runner limits only a positive num_predict; a negative seed is a random one; top_k 0 or less: no cut
  for (const numPredict of [-1, -2, 0]) assert.equal(chat({ options: { num_predict: numPredict } }).maxTokens, undefined);
  assert.equal(chat({ options: { seed: -1 } }).sampling.seed, undefined);
  assert.equal(chat({ options: { top_k: -1 } }).sampling.topK, 0);
});

test("num_ctx above the loaded context is a 400; at or below it is accepted", () => {
  rejects(() => chat({ options: { num_ctx: CONTEXT + 1 } }), "options.num_ctx", /4096/);
  assert.doesNotThrow(() => chat({ options: { num_ctx: CONTEXT } }));
  assert.doesNotThrow(() => chat({ options: { num_ctx: 512 } }));
  rejects(() => chat({ options: { temperature: "hot" } }), "options.temperature");
  rejects(() => chat({ options: { temperature: -1 } }), "options.temperature");
});

test("chat messages: tool calls with ids of their own and arguments as JSON text, tool results named by tool_name", () => {
  const params = chat({
    messages: [
      { role: "system", content: "be brief" },
      { role: "user", content: "weather?" },
      { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }, { function: { name: "get_time", arguments: {} } }] },
      { role: "tool", content: "sunny", tool_name: "get_weather" },
    ],
    tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }, { type: "function", function: { name: "get_time" } }],
  });
  assert.deepEqual(params.messages, [
    { role: "system", content: "be brief" },
    { role: "user", content: "weather?" },
    { role: "assistant", content: "", toolCalls: [{ id: "call_2_0", name: "get_weather", arguments: '{"city":"Paris"}' }, { id: "call_2_1", name: "get_time", arguments: "{}" }] },
    { role: "tool", content: "sunny", name: "get_weather" },
  ]);
  assert.deepEqual([...params.toolNames!], ["get_weather", "get_time"]);
  assert.equal(params.output, undefined, "Ollama has no tool_choice: calls are never forced");
  rejects(() => chat({ tools: [{ type: "function", function: { name: "a" } }, { type: "function", function: { name: "a" } }] }), "tools");
});

test("format: json, a schema or nothing; anything else, and format with tools, is a 400", () => {
  assert.deepEqual(chat({ format: "json" }).output, { type: "json", schema: undefined, param: "format" });
  const schema = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };
  assert.deepEqual(chat({ format: schema }).output, { type: "json", schema, param: "format" });
  assert.equal(chat({ format: "" }).output, undefined);
  rejects(() => chat({ format: "yaml" }), "format", /expected "json" or a valid JSON schema/);
  rejects(() => chat({ format: "json", tools: [{ type: "function", function: { name: "f" } }] }), "format");
  // a schema the grammar cannot enforce is refused where it is in the request, before anything is generated
  const patterned = chat({ format: { type: "object", properties: { code: { type: "string", pattern: "^[A-Z]+$" } } } });
  rejects(() => compileGeneration(patterned), "format.properties.code.pattern", /^Invalid schema for format: /);
});

test("images and thinking are refused; think false is accepted", () => {
  rejects(() => chat({ messages: [{ role: "user", content: "look", images: ["aGk="] }] }), "messages[0].images");
  assert.doesNotThrow(() => chat({ messages: [{ role: "user", content: "look", images: [] }] }));
  rejects(() => chat({ think: true }), "think", /"m" does not support thinking/);
  rejects(() => chat({ think: "high" }), "think");
  assert.doesNotThrow(() => chat({ think: false }));
  rejects(() => generate({ images: ["aGk="] }), "images");
});

test("generate: system then the prompt as a user turn; raw sends the prompt alone; suffix and template are refused", () => {
  const plain = generate({ system: "sys", context: [1, 2] });
  assert.deepEqual(plain.params.messages, [{ role: "system", content: "sys" }, { role: "user", content: "hi" }]);
  assert.deepEqual([plain.raw, plain.context], [false, [1, 2]]);
  const raw = generate({ system: "sys", context: [1, 2], raw: true });
  assert.deepEqual(raw.params.messages, [{ role: "user", content: "hi" }]);
  assert.deepEqual([raw.raw, raw.context], [true, []]);
  rejects(() => generate({ suffix: "end" }), "suffix");
  rejects(() => generate({ template: "{{ .Prompt }}" }), "template", /raw/);
  assert.doesNotThrow(() => generate({ suffix: "", template: "" }));
});

test("keep_alive: a zero duration unloads after the request; anything else does not", () => {
  for (const value of [0, "0", "0s", "0m0s", "0.0h"]) assert.equal(keepAliveUnloads(value), true, String(value));
  for (const value of [undefined, null, -1, "-1", 300, "5m", "1h30m", "10ms"]) assert.equal(keepAliveUnloads(value), false, String(value));
  rejects(() => chat({ keep_alive: "soon" }), "keep_alive");
});

test("model names: a ':latest' a client added is dropped only when the name without it is served", () => {
  const known = (name: string) => ["llama", "other:latest"].includes(name);
  assert.equal(ollamaModelName("llama:latest", known), "llama");
  assert.equal(ollamaModelName("other:latest", known), "other:latest");
  assert.equal(ollamaModelName("missing:latest", known), "missing:latest");
  assert.equal(ollamaModelName("llama", known), "llama");
});

/** A rendering whose clock the test sets: the request arrived at 1000 ms and waited 40 ms for its model. */
function rendering(now: number): OllamaRendering {
  return { model: "m:latest", arrivedAt: 1000, loadMs: 40, now: () => now, createdAt: () => "2024-01-01T00:00:00.000Z" };
}
const usage = { promptTokens: 12, completionTokens: 5, cachedTokens: 4 };
const timings = { queueMs: 10, promptMs: 30.5, generationMs: 80.25 };

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* events(list: PipelineEvent[]): AsyncGenerator<PipelineEvent> {
  yield* list;
}

test("streamed chat: a content object per piece, a call's arguments as an object, then done with the figures in ns", async () => {
  const call = { type: "call" as const, call: { name: "get_weather", arguments: '{"city":"Paris"}' } };
  const chunks = await collect(
    ollamaChatChunks(
      events([
        { type: "start", index: 0, verdict: undefined },
        { type: "text", index: 0, text: "Hel", pieces: [{ type: "content", text: "Hel" }], logprobs: [], verdict: undefined },
        { type: "text", index: 0, text: "lo<tool_call>…", pieces: [{ type: "content", text: "lo" }], logprobs: [], verdict: undefined },
        { type: "done", index: 0, pieces: [call], finishReason: "tool_calls", verdict: undefined, usage, timings },
        { type: "usage", usage },
      ]),
      rendering(1200),
    ),
  );
  const base = { model: "m:latest", created_at: "2024-01-01T00:00:00.000Z" };
  assert.deepEqual(chunks, [
    { ...base, message: { role: "assistant", content: "Hel" }, done: false },
    { ...base, message: { role: "assistant", content: "lo" }, done: false },
    { ...base, message: { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }] }, done: false },
    {
      ...base,
      message: { role: "assistant", content: "" },
      done: true,
      done_reason: "stop",
      total_duration: 200_000_000,
      load_duration: 40_000_000,
      prompt_eval_count: 12,
      prompt_eval_duration: 30_500_000,
      eval_count: 5,
      eval_duration: 80_250_000,
    },
  ]);
});

test("whole chat: content and calls in one message; the engine's and the filter's ends kept", () => {
  const choice: ChoiceResult = {
    index: 0,
    text: "",
    pieces: [{ type: "content", text: "It is " }, { type: "call", call: { name: "f", arguments: "{}" } }, { type: "content", text: "done" }],
    promptLogprobs: [],
    logprobs: [],
    finishReason: "tool_calls",
    verdict: undefined,
    timings,
  };
  const response = ollamaChatResponse(choice, usage, rendering(1500));
  assert.deepEqual(response.message, { role: "assistant", content: "It is done", tool_calls: [{ function: { name: "f", arguments: {} } }] });
  assert.equal(response.done && response.total_duration, 500_000_000);
  for (const end of ["stop", "length", "content_filter"] as const) {
    const ended = ollamaChatResponse({ ...choice, pieces: [], finishReason: end }, usage, rendering(1500));
    assert.equal(ended.done && ended.done_reason, end);
  }
});

test("streamed generate: the text pieces, then done with the context of the prompt and the whole response", async () => {
  const seen: string[] = [];
  const chunks = await collect(
    ollamaGenerateChunks(
      events([
        { type: "start", index: 0, verdict: undefined },
        { type: "text", index: 0, text: "a", pieces: [{ type: "content", text: "a" }], logprobs: [], verdict: undefined },
        { type: "text", index: 0, text: "", pieces: [], logprobs: [], verdict: undefined },
        { type: "text", index: 0, text: "b", pieces: [{ type: "content", text: "b" }], logprobs: [], verdict: undefined },
        { type: "done", index: 0, pieces: [], finishReason: "length", verdict: undefined, usage, timings },
      ]),
      rendering(1100),
      (response) => {
        seen.push(response);
        return [7, 8];
      },
    ),
  );
  assert.deepEqual(chunks.map((c) => [c.response, c.done]), [["a", false], ["b", false], ["", true]]);
  const last = chunks.at(-1)!;
  assert.ok(last.done);
  assert.deepEqual([last.done_reason, last.context, last.total_duration], ["length", [7, 8], 100_000_000]);
  assert.deepEqual(seen, ["ab"]);
});

test("model details: Ollama's parameter sizes, the file type's name, and a digest that follows the file", () => {
  const gguf = (parameterCount: number, modifiedMs = 1): GgufDetails => ({
    architecture: "llama",
    parameterCount,
    quantization: "Q4_K_M",
    metadata: {},
    chatTemplate: undefined,
    sizeBytes: 100,
    modifiedMs,
  });
  const size = (count: number) => ollamaModelDetails("/m.gguf", gguf(count)).details.parameter_size;
  assert.deepEqual([size(7e9), size(6_738_415_616), size(13_015_864_320), size(4_202_816), size(137e6), size(22_000), size(512)], ["7B", "6.7B", "13.0B", "4.2M", "137M", "22K", "512"]);
  const { details, digest } = ollamaModelDetails("/m.gguf", gguf(7e9));
  assert.deepEqual(details, { parent_model: "", format: "gguf", family: "llama", families: ["llama"], parameter_size: "7B", quantization_level: "Q4_K_M" });
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.equal(ollamaModelDetails("/m.gguf", gguf(7e9)).digest, digest);
  assert.notEqual(ollamaModelDetails("/m.gguf", gguf(7e9, 2)).digest, digest, "a file written again has a new digest");
});

test("errors in Ollama's shape: an unknown model in its words, the others' messages, statuses and headers kept", () => {
  assert.deepEqual(renderOllamaError(new ModelNotFoundError("llama3", ["a", "b"])), { status: 404, body: { error: "model 'llama3' not found" }, headers: {} });
  assert.deepEqual(renderOllamaError(new InvalidRequestError("bad temperature", "options.temperature")), { status: 400, body: { error: "bad temperature" }, headers: {} });
  const busy = renderOllamaError(new ServerOverloadedError("busy", 3));
  assert.deepEqual([busy.status, busy.body, busy.headers["Retry-After"]], [503, { error: "busy" }, "3"]);
});
