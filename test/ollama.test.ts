import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import { Ollama, type ChatResponse, type GenerateResponse } from "ollama";
import { FaultySequences } from "./helpers/faultySequences.js";
import { ScriptedSequences } from "./helpers/scriptedSequences.js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";
import { waitUntil } from "./helpers/waitUntil.js";

const faults = new FaultySequences();
const scripted = new ScriptedSequences();
let server: TestServer;
let ollama: Ollama;

before(async () => {
  server = await startTestServer({ wrapSequencesForTests: (sequences) => scripted.wrap(faults.wrap(sequences)) });
  ollama = new Ollama({ host: server.url });
});
after(async () => {
  await server?.close();
});

const messages = [{ role: "user", content: "Hello there" }];

/** The figures of a finished answer: present, measured, and consistent with each other and the tokens generated. */
function assertFigures(done: ChatResponse | GenerateResponse, generated: number, what: string): void {
  for (const field of ["total_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"] as const) {
    assert.ok(Number.isInteger(done[field]) && done[field] > 0, `${what}: ${field} = ${done[field]}`);
  }
  assert.ok(Number.isInteger(done.load_duration) && done.load_duration >= 0);
  assert.equal(done.eval_count, generated, `${what}: eval_count is the tokens generated`);
  assert.ok(done.total_duration >= done.load_duration + done.prompt_eval_duration + done.eval_duration, `${what}: the total holds the parts`);
}

/** Reads an NDJSON body, checking the framing byte for byte: one compact JSON object per line, each line ended. */
async function readNdjson(response: Response): Promise<Array<Record<string, unknown>>> {
  assert.equal(response.headers.get("content-type"), "application/x-ndjson");
  const text = await response.text();
  assert.ok(text.endsWith("}\n"), `ends with an object and a newline: ${JSON.stringify(text.slice(-20))}`);
  const objects = text.slice(0, -1).split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(objects.map((object) => `${JSON.stringify(object)}\n`).join(""), text, "nothing but the objects, one a line");
  return objects;
}

describe("Ollama API through the official ollama client", () => {
  test("chat, whole: an assistant message, done with the engine's reason and the measured figures", async () => {
    const response = await ollama.chat({ model: MODEL_ID, messages, stream: false, options: { num_predict: 6, seed: 3 } });
    assert.equal(response.model, MODEL_ID);
    assert.equal(response.message.role, "assistant");
    assert.equal(typeof response.message.content, "string");
    assert.equal(response.done, true);
    assert.equal(response.done_reason, "length");
    assert.ok(!Number.isNaN(Date.parse(response.created_at as unknown as string)), "created_at is an RFC 3339 time");
    assertFigures(response, 6, "chat");
    assert.equal(response.load_duration, 0, "the model was loaded: no load wait");
  });

  test("chat, streamed: pieces with done false, then one done true; the same answer as whole for the same seed", async () => {
    const options = { num_predict: 8, seed: 11, temperature: 0 };
    const pieces: ChatResponse[] = [];
    for await (const part of await ollama.chat({ model: MODEL_ID, messages, stream: true, options })) pieces.push(part);
    const last = pieces.at(-1)!;
    assert.ok(pieces.slice(0, -1).every((p) => p.done === false && p.message.role === "assistant"));
    assert.deepEqual([last.done, last.done_reason, last.message.content], [true, "length", ""]);
    assertFigures(last, 8, "streamed chat");
    assert.ok(pieces.length - 1 <= 8, "at most a piece per token");
    const whole = await ollama.chat({ model: MODEL_ID, messages, stream: false, options });
    assert.equal(pieces.map((p) => p.message.content).join(""), whole.message.content);
  });

  test("generate, whole and streamed; its context carries the conversation to the next prompt", async () => {
    const first = await ollama.generate({ model: MODEL_ID, prompt: "Once upon a time", system: "Tell stories.", stream: false, options: { num_predict: 5 } });
    assert.equal(typeof first.response, "string");
    assertFigures(first, 5, "generate");
    assert.ok(Array.isArray(first.context) && first.context.length >= first.prompt_eval_count - 1, "the context holds the prompt and the answer");
    const parts: GenerateResponse[] = [];
    for await (const part of await ollama.generate({ model: MODEL_ID, prompt: "and then", context: first.context, stream: true, options: { num_predict: 4 } })) parts.push(part);
    const last = parts.at(-1)!;
    assert.ok(parts.slice(0, -1).every((p) => p.done === false && typeof p.response === "string"));
    assert.equal(last.done, true);
    assertFigures(last, 4, "streamed generate");
    assert.ok(last.prompt_eval_count > first.context.length, "the previous context is in the prompt");
  });

  test("raw generate: the prompt as it is, no template (its tokens and BOS only)", async () => {
    const prompt = "The capital of France is";
    const raw = await ollama.generate({ model: MODEL_ID, prompt, raw: true, stream: false, options: { num_predict: 2 } });
    assert.equal(raw.prompt_eval_count, server.engine.promptTokens(prompt, true).length);
    assert.equal(raw.context, undefined, "Ollama gives no context for a raw prompt");
    const templated = await ollama.generate({ model: MODEL_ID, prompt, stream: false, options: { num_predict: 2 } });
    assert.ok(templated.prompt_eval_count > raw.prompt_eval_count);
  });

  test("format json and a schema: the output parses, and validates against the schema", async () => {
    const json = await ollama.chat({ model: MODEL_ID, messages, format: "json", stream: false, options: { num_predict: 40 } });
    assert.equal(typeof JSON.parse(json.message.content), "object");
    const schema = { type: "object", properties: { name: { type: "string", maxLength: 8 }, age: { type: "integer" } }, required: ["name", "age"], additionalProperties: false };
    const answer = await ollama.generate({ model: MODEL_ID, prompt: "A person:", format: schema, stream: false, options: { num_predict: 40 } });
    const validate = new Ajv().compile(schema);
    assert.ok(validate(JSON.parse(answer.response ?? "")), JSON.stringify(validate.errors));
  });

  test("tools: offered in the prompt; a call comes back as message.tool_calls with its arguments as an object", async () => {
    const tools = [{ type: "function", function: { name: "get_weather", description: "The weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
    const plain = await ollama.chat({ model: MODEL_ID, messages, stream: false, options: { num_predict: 1 } });
    const offered = await ollama.chat({ model: MODEL_ID, messages, tools, stream: false, options: { num_predict: 1 } });
    assert.ok(offered.prompt_eval_count > plain.prompt_eval_count + 30, "the tools are described in the prompt");
    // the random model would never write a call: the seam makes it write one, to check how it comes back
    const call = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>';
    const script = [...server.engine.tokenize(call, false), ...server.engine.tokenize("</s>", true)];
    scripted.next(script);
    const called = await ollama.chat({ model: MODEL_ID, messages, tools, stream: false });
    assert.deepEqual(called.message.tool_calls, [{ function: { name: "get_weather", arguments: { city: "Paris" } } }]);
    assert.equal(called.message.content, "");
    assert.equal(called.done_reason, "stop");
    assert.equal(called.eval_count, script.length);
    scripted.next(script);
    const streamed: ChatResponse[] = [];
    for await (const part of await ollama.chat({ model: MODEL_ID, messages, tools, stream: true })) streamed.push(part);
    assert.deepEqual(streamed.flatMap((p) => p.message.tool_calls ?? []), called.message.tool_calls);
    // the call and its result go back into the next prompt
    const history = [...messages, called.message, { role: "tool", content: "sunny, 24 C", tool_name: "get_weather" }];
    const answer = await ollama.chat({ model: MODEL_ID, messages: history, tools, stream: false, options: { num_predict: 1 } });
    assert.ok(answer.prompt_eval_count > offered.prompt_eval_count + 10);
  });

  test("tags, show, ps and version describe the served model", async () => {
    const { models } = await ollama.list();
    assert.deepEqual(models.map((m) => [m.name, m.model]), [[MODEL_ID, MODEL_ID]]);
    const entry = models[0]!;
    assert.ok(entry.size > 0 && /^[0-9a-f]{64}$/.test(entry.digest) && !Number.isNaN(Date.parse(entry.modified_at as unknown as string)));
    assert.deepEqual(entry.details, { parent_model: "", format: "gguf", family: "llama", families: ["llama"], parameter_size: "4.2M", quantization_level: "F32" });
    const show = await ollama.show({ model: `${MODEL_ID}:latest` });
    assert.deepEqual(show.details, entry.details);
    assert.deepEqual(show.capabilities, ["completion", "tools"]);
    assert.match(show.template, /\{\{ \.Prompt \}\}/);
    assert.match(show.parameters, /^num_ctx\s+4096$/m);
    const info = show.model_info as unknown as Record<string, unknown>;
    assert.deepEqual([info["general.architecture"], info["llama.context_length"], info["general.parameter_count"], info["tokenizer.ggml.tokens"]], ["llama", 4096, 4_202_816, null]);
    const running = await ollama.ps();
    assert.deepEqual(running.models.map((m) => [m.name, m.size_vram]), [[MODEL_ID, 0]]);
    assert.ok(running.models[0]!.size > 0 && Date.parse(running.models[0]!.expires_at as unknown as string) > Date.now());
    assert.match((await ollama.version()).version, /^\d+\.\d+\.\d+$/);
  });

  test("embed: one vector per input, unit length, with the prompt tokens and the figures", async () => {
    const one = await ollama.embed({ model: MODEL_ID, input: "hello" });
    const two = await ollama.embed({ model: MODEL_ID, input: ["hello", "a longer text to embed"] });
    assert.equal(one.embeddings.length, 1);
    assert.equal(two.embeddings.length, 2);
    assert.deepEqual(two.embeddings[0], one.embeddings[0]);
    const norm = Math.hypot(...two.embeddings[1]!);
    assert.ok(Math.abs(norm - 1) < 1e-6, `norm ${norm}`);
    assert.ok(two.prompt_eval_count > one.prompt_eval_count && two.total_duration > 0 && two.load_duration === 0);
  });

  test("NDJSON framing, byte for byte: one object a line, the last done with the figures", async () => {
    const objects = await readNdjson(await postJson(`${server.url}/api/chat`, { model: MODEL_ID, messages, options: { num_predict: 4 } }));
    assert.ok(objects.length >= 2);
    assert.ok(objects.slice(0, -1).every((o) => o.done === false && Object.keys(o).join() === "model,created_at,message,done"));
    assert.deepEqual(Object.keys(objects.at(-1)!), ["model", "created_at", "message", "done", "done_reason", "total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"]);
    const generated = await readNdjson(await postJson(`${server.url}/api/generate`, { model: MODEL_ID, prompt: "Hi", options: { num_predict: 3 } }));
    assert.equal(generated.at(-1)!.done, true);
    const whole = await postJson(`${server.url}/api/chat`, { model: MODEL_ID, messages, stream: false, options: { num_predict: 2 } });
    assert.equal(whole.headers.get("content-type"), "application/json");
  });

  test("errors are Ollama's {\"error\"} with the status: unknown model, refused and invalid fields", async () => {
    await assert.rejects(ollama.chat({ model: "llama3", messages }), { name: "ResponseError", status_code: 404, error: "model 'llama3' not found" });
    await assert.rejects(ollama.show({ model: "llama3" }), { status_code: 404, error: "model 'llama3' not found" });
    await assert.rejects(ollama.embed({ model: "llama3", input: "x" }), { status_code: 404 });
    const refused: Array<[string, Record<string, unknown>, RegExp]> = [
      ["/api/chat", { messages: [{ role: "user", content: "see", images: ["aGk="] }] }, /Images are not supported/],
      ["/api/chat", { messages, think: true }, /does not support thinking/],
      ["/api/chat", { messages, options: { num_ctx: 100_000 } }, /num_ctx 100000 is above/],
      ["/api/chat", { messages, options: { temperature: "hot" } }, /options\.temperature/],
      ["/api/chat", { messages, format: "yaml" }, /expected "json" or a valid JSON schema/],
      ["/api/chat", { messages, format: { type: "object", properties: { a: { type: "string", pattern: "x" } } } }, /Invalid schema for format/],
      ["/api/chat", { messages: [{ role: "robot", content: "x" }] }, /messages\[0\]\.role/],
      ["/api/generate", { prompt: "x", suffix: "y" }, /suffix/],
      ["/api/generate", { prompt: "x", template: "{{ .Prompt }}" }, /'template' is not supported/],
      ["/api/generate", { prompt: "x", context: [10_000_000] }, /context/],
    ];
    for (const [path, body, message] of refused) {
      const response = await postJson(`${server.url}${path}`, { model: MODEL_ID, ...body });
      assert.equal(response.status, 400, `${path} ${JSON.stringify(body)}`);
      const error = (await response.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(error), ["error"]);
      assert.match(String(error.error), message);
    }
    await assert.rejects(ollama.pull({ model: "llama3" }), { status_code: 404, error: "Invalid URL (POST /api/pull)" });
    const notJson = await fetch(`${server.url}/api/chat`, { method: "POST", body: "{nope" });
    assert.deepEqual([notJson.status, Object.keys((await notJson.json()) as object)], [400, ["error"]]);
  });

  test("a failure in the middle of a stream is an {\"error\"} line; the ollama client throws it", async () => {
    // long enough that the generation is still running when the client has read its first piece
    const stream = await ollama.chat({ model: MODEL_ID, messages, stream: true, options: { num_predict: 1000 } });
    let pieces = 0;
    const log = console.error;
    console.error = () => undefined; // the server logs the injected fault as an internal error
    try {
      await assert.rejects(
        (async () => {
          for await (const _ of stream) {
            // the first piece is out: the next decode of either slot fails
            if (pieces++ === 0) for (const slot of [0, 1]) faults.failNext(slot, "decode");
          }
        })(),
        /The server had an error while processing your request/,
      );
    } finally {
      console.error = log;
      faults.reset();
    }
    assert.ok(pieces >= 1);
  });

  test("keep_alive 0 unloads the model after the request; the next one waits for its load and says how long", async () => {
    const model = server.models.find(MODEL_ID);
    await ollama.chat({ model: MODEL_ID, messages, stream: false, keep_alive: 0, options: { num_predict: 2 } });
    await waitUntil(() => model.status === "unloaded", "the model is unloaded");
    assert.deepEqual((await ollama.ps()).models, []);
    const loaded = await ollama.chat({ model: MODEL_ID, messages, stream: false, options: { num_predict: 3 } });
    assert.ok(loaded.load_duration > 0, "the request waited for the load");
    assertFigures(loaded, 3, "chat after a load");
    // without messages (or prompt) a request only loads, or with keep_alive 0 unloads, the model
    const unloaded = await ollama.generate({ model: MODEL_ID, prompt: "", keep_alive: 0, stream: false });
    assert.deepEqual([unloaded.done, unloaded.done_reason, model.status], [true, "unload", "unloaded"]);
    const embedded = await ollama.embed({ model: MODEL_ID, input: "hello", keep_alive: 0 });
    assert.ok(embedded.load_duration > 0 && embedded.total_duration >= embedded.load_duration);
    await waitUntil(() => model.status === "unloaded", "the model is unloaded after the embeddings");
    const preloaded = await ollama.chat({ model: MODEL_ID, messages: [], stream: false });
    assert.deepEqual([preloaded.done, preloaded.done_reason, preloaded.message.content, model.status], [true, "load", "", "loaded"]);
  });
});

describe("Ollama API behind --api-key", () => {
  let keyed: TestServer;
  before(async () => {
    keyed = await startTestServer({ apiKey: "sk-ollama" });
  });
  after(async () => {
    await keyed?.close();
  });

  test("without the key a 401 in Ollama's shape; with it, as Authorization: Bearer through the client's headers", async () => {
    await assert.rejects(new Ollama({ host: keyed.url }).list(), { status_code: 401, error: /API key/ });
    const client = new Ollama({ host: keyed.url, headers: { Authorization: "Bearer sk-ollama" } });
    assert.equal((await client.list()).models.length, 1);
    const answer = await client.chat({ model: MODEL_ID, messages, stream: false, options: { num_predict: 2 } });
    assert.equal(answer.eval_count, 2);
  });
});
