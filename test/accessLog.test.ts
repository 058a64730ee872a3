import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiKeyRegistry } from "../src/server/ApiKeyRegistry.js";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";

type Line = Record<string, unknown>;
const SECRET = "the-prompt-text-nobody-may-read";
const KEY = "sk-access-log-test";

function logged(): { lines: Line[]; raw: string[]; sink: (line: string) => void; find(id: string): Promise<Line> } {
  const raw: string[] = [];
  const lines: Line[] = [];
  return {
    lines,
    raw,
    sink: (line) => {
      assert.doesNotMatch(line, /\n/, "one line per request");
      raw.push(line);
      lines.push(JSON.parse(line) as Line);
    },
    // a stream's line is written when its generation settles, after the client has its response: wait, bounded
    async find(id) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const line = lines.find((l) => l.request_id === id);
        if (line) return line;
        assert.ok(Date.now() < deadline, `a log line for ${id}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

let server: TestServer;
let withContent: TestServer;
const log = logged();
const contentLog = logged();
before(async () => {
  server = await startTestServer({ parallel: 1, apiKeys: new ApiKeyRegistry([{ name: "team-a", key: KEY, rpm: 1000 }]), accessLog: log.sink });
  withContent = await startTestServer({ parallel: 1, accessLog: contentLog.sink, logContent: true });
});
after(async () => {
  await server.close();
  await withContent.close();
});

const auth = { Authorization: `Bearer ${KEY}` };
const messages = [{ role: "user" as const, content: `Say ${SECRET}` }];

test("a completion's line: id, key name, route, model, status, tokens, timings, finish reason; no prompt or output text, no key", async () => {
  const { data, response } = await server.client("/v1", KEY).chat.completions.create({ model: MODEL_ID, messages, max_tokens: 4 }, { headers: { "x-request-id": "req-42.a" } }).withResponse();
  assert.equal(response.headers.get("x-request-id"), "req-42.a");
  const line = await log.find("req-42.a");
  assert.equal(typeof line.time, "string");
  assert.ok(Math.abs(Date.parse(line.time as string) - Date.now()) < 60_000);
  assert.deepEqual(
    { ...line, time: undefined, queue_ms: undefined, ttft_ms: undefined, total_ms: undefined },
    {
      time: undefined,
      request_id: "req-42.a",
      key: "team-a",
      method: "POST",
      route: "/v1/chat/completions",
      model: MODEL_ID,
      status: 200,
      prompt_tokens: data.usage!.prompt_tokens,
      cached_tokens: data.usage!.prompt_tokens_details?.cached_tokens ?? 0,
      completion_tokens: data.usage!.completion_tokens,
      queue_ms: undefined,
      ttft_ms: undefined,
      total_ms: undefined,
      finish_reasons: [data.choices[0]!.finish_reason],
      client_disconnected: false,
    },
  );
  assert.ok(typeof line.queue_ms === "number" && typeof line.ttft_ms === "number" && typeof line.total_ms === "number");
  assert.ok(line.queue_ms >= 0 && line.queue_ms <= line.ttft_ms && line.ttft_ms <= line.total_ms, JSON.stringify(line));
  const text = data.choices[0]!.message.content!;
  for (const raw of log.raw) {
    assert.ok(!raw.includes(SECRET), "no prompt text");
    assert.ok(!raw.includes(KEY), "no key");
    if (text.trim().length > 3) assert.ok(!raw.includes(JSON.stringify(text).slice(1, -1)), "no output text");
  }
});

test("every response carries a request id: a safe client one is kept, any other replaced; errors, /health and preflights included", async () => {
  const unsafe = await postJson(`${server.url}/v1/chat/completions`, {}, { ...auth, "x-request-id": "bad id <script>" });
  const id = unsafe.headers.get("x-request-id")!;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal(unsafe.status, 400);
  const line = await log.find(id);
  assert.deepEqual([line.status, line.key, line.model, line.prompt_tokens, line.finish_reasons], [400, "team-a", null, null, null]);
  const denied = await fetch(`${server.url}/v1/models`, { headers: { "x-request-id": "no-key-1" } });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("x-request-id"), "no-key-1");
  assert.deepEqual([(await log.find("no-key-1")).key, (await log.find("no-key-1")).status], [null, 401]);
  const health = await fetch(`${server.url}/health`);
  assert.match(health.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  const ids = new Set([id, health.headers.get("x-request-id"), (await fetch(`${server.url}/health`)).headers.get("x-request-id")]);
  assert.equal(ids.size, 3, "generated ids differ");
});

test("a stream's line is written when it ends, with its usage; a client that leaves is logged as disconnected", async () => {
  const stream = await server.client("/v1", KEY).chat.completions.create(
    { model: MODEL_ID, messages, max_tokens: 3, stream: true, stream_options: { include_usage: true } },
    { headers: { "x-request-id": "stream-1" } },
  );
  let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  for await (const chunk of stream) usage = chunk.usage ?? usage;
  const line = await log.find("stream-1");
  assert.deepEqual([line.status, line.prompt_tokens, line.completion_tokens, line.client_disconnected], [200, usage!.prompt_tokens, usage!.completion_tokens, false]);
  assert.equal((line.finish_reasons as unknown[]).length, 1);

  const leaving = new AbortController();
  const response = await postJson(
    `${server.url}/v1/completions`,
    { model: MODEL_ID, prompt: SECRET, max_tokens: 2000, stream: true, logit_bias: { "2": -100 } },
    { ...auth, "x-request-id": "leaves-1" },
    leaving.signal,
  );
  const reader = response.body!.getReader();
  await reader.read();
  leaving.abort();
  const gone = await log.find("leaves-1");
  assert.equal(gone.client_disconnected, true);
  assert.equal(gone.route, "/v1/completions");
  assert.deepEqual(gone.finish_reasons, [null], "it did not finish");
  assert.ok((gone.completion_tokens as number) < 2000);

  // two choices: the client leaves while the second role delta waits to be read
  const leavingEarly = new AbortController();
  const twoChoices = await postJson(
    `${server.url}/v1/chat/completions`,
    { model: MODEL_ID, messages, max_tokens: 2000, n: 2, stream: true, logit_bias: { "2": -100 } },
    { ...auth, "x-request-id": "leaves-2" },
    leavingEarly.signal,
  );
  assert.equal(twoChoices.status, 200);
  leavingEarly.abort();
  const early = await log.find("leaves-2");
  assert.equal(early.client_disconnected, true);
  assert.deepEqual(early.finish_reasons, [null, null]);
});

test("embeddings and tokenizer routes are logged too", async () => {
  const response = await postJson(`${server.url}/v1/embeddings`, { model: MODEL_ID, input: SECRET }, { ...auth, "x-request-id": "emb-1" });
  const body = (await response.json()) as { usage: { prompt_tokens: number } };
  const line = await log.find("emb-1");
  assert.deepEqual([line.route, line.status, line.prompt_tokens, line.completion_tokens], ["/v1/embeddings", 200, body.usage.prompt_tokens, 0]);
  await postJson(`${server.url}/tokenize`, { content: SECRET }, { ...auth, "x-request-id": "tok-1" });
  assert.equal((await log.find("tok-1")).route, "/tokenize");
  assert.ok(log.raw.every((raw) => !raw.includes(SECRET)));
});

test("with --log-content the line holds the prompt as given and each choice's output", async () => {
  const { data } = await withContent.client().chat.completions.create({ model: MODEL_ID, messages, max_tokens: 4, n: 2 }, { headers: { "x-request-id": "content-1" } }).withResponse();
  const line = await contentLog.find("content-1");
  assert.deepEqual(line.prompt, messages);
  assert.deepEqual(line.output, [data.choices.find((c) => c.index === 0)!.message.content, data.choices.find((c) => c.index === 1)!.message.content]);
  assert.equal(line.key, null, "no keys: no key name");
});
