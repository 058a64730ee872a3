import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FaultySequences } from "./helpers/faultySequences.js";
import { MODEL_ID, postJson, readSseEvents, startTestServer, type TestServer } from "./helpers/testServer.js";

interface Health {
  slots: { total: number; idle: number; busy: number; prefill: number; decode: number };
  queued: number;
  counters: { prefillTokens: number; copiedTokens: number; cachedTokens: number };
}

async function health(server: TestServer): Promise<Health> {
  return (await (await fetch(`${server.url}/health`)).json()) as Health;
}

/** Polls /health until `predicate` holds (bounded: fails the test after 10 s). */
async function waitForHealth(server: TestServer, predicate: (h: Health) => boolean): Promise<Health> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const h = await health(server);
    if (predicate(h)) return h;
    if (Date.now() > deadline) throw new Error(`health never matched: ${JSON.stringify(h)}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const long = {
  model: MODEL_ID,
  messages: [{ role: "user" as const, content: "Write a long story." }],
  max_tokens: 3000,
  logit_bias: { "2": -100 },
};

/** Starts a streamed request and resolves once its first content chunk has arrived. */
async function startStream(server: TestServer, controller: AbortController): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const response = await postJson(`${server.url}/v1/chat/completions`, { ...long, stream: true }, {}, controller.signal);
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  let seen = "";
  while (!seen.includes('"content"')) {
    const { value, done } = await reader.read();
    assert.ok(!done);
    seen += new TextDecoder().decode(value);
  }
  return reader;
}

describe("one slot", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 1 });
  });
  after(async () => {
    await server.close();
  });

  test("a client that disconnects mid-stream frees its slot for the next request", async () => {
    const controller = new AbortController();
    await startStream(server, controller);
    assert.equal((await health(server)).slots.busy, 1);
    controller.abort();
    const next = await server.client().chat.completions.create({ ...long, max_tokens: 3, stream: false });
    assert.equal(next.usage?.completion_tokens, 3);
    await waitForHealth(server, (h) => h.slots.busy === 0);
  });

  test("a non-streamed request whose client disconnects frees its slot", async () => {
    const controller = new AbortController();
    const request = postJson(`${server.url}/v1/chat/completions`, long, {}, controller.signal).catch((error: Error) => error);
    await waitForHealth(server, (h) => h.slots.busy === 1);
    controller.abort();
    assert.ok((await request) instanceof Error);
    await waitForHealth(server, (h) => h.slots.busy === 0);
  });

  test("requests beyond the slots wait in order; one that disconnects while waiting leaves the queue", async () => {
    const holder = new AbortController();
    await startStream(server, holder);
    const waiting = new AbortController();
    const abandoned = postJson(`${server.url}/v1/chat/completions`, { ...long, max_tokens: 2 }).catch((e: Error) => e);
    void abandoned;
    const gone = postJson(`${server.url}/v1/chat/completions`, { ...long, max_tokens: 2 }, {}, waiting.signal).catch((error: Error) => error);
    await waitForHealth(server, (h) => h.queued === 2);
    waiting.abort();
    assert.ok((await gone) instanceof Error);
    await waitForHealth(server, (h) => h.queued === 1);
    holder.abort();
    const served = (await abandoned) as Response;
    assert.equal(served.status, 200);
    await waitForHealth(server, (h) => h.slots.busy === 0 && h.queued === 0);
  });
});

describe("two slots", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 2 });
  });
  after(async () => {
    await server.close();
  });

  test("--parallel 2 runs two requests at once, and both free their slots", async () => {
    const a = new AbortController();
    const b = new AbortController();
    await Promise.all([startStream(server, a), startStream(server, b)]);
    const { slots } = await health(server);
    assert.deepEqual([slots.total, slots.idle, slots.busy, slots.decode], [2, 0, 2, 2]);
    a.abort();
    b.abort();
    await waitForHealth(server, (h) => h.slots.busy === 0);
  });

  test("concurrent requests all complete, each with its own usage", async () => {
    const client = server.client();
    const results = await Promise.all(
      [3, 5, 7, 9].map((max_tokens) => client.chat.completions.create({ ...long, max_tokens, stream: false })),
    );
    assert.deepEqual(results.map((r) => r.usage?.completion_tokens), [3, 5, 7, 9]);
    assert.deepEqual(results.map((r) => r.choices[0]?.finish_reason), ["length", "length", "length", "length"]);
    await waitForHealth(server, (h) => h.slots.busy === 0 && h.queued === 0);
  });
});

describe("admission: overload is answered at once, never a hang", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 1, queue: { maxQueue: 1, queueTimeoutMs: 0 } });
  });
  after(async () => {
    await server.close();
  });

  test("with the slot busy and the queue full, a request gets 503 server_overloaded with Retry-After, streamed or not", async () => {
    const holder = new AbortController();
    await startStream(server, holder);
    const queued = postJson(`${server.url}/v1/chat/completions`, { ...long, max_tokens: 2 });
    await waitForHealth(server, (h) => h.queued === 1);
    for (const stream of [false, true]) {
      const response = await postJson(`${server.url}/v1/chat/completions`, { ...long, max_tokens: 2, stream });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("retry-after"), "1");
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "server_overloaded");
    }
    holder.abort();
    assert.equal((await queued).status, 200);
    await waitForHealth(server, (h) => h.slots.busy === 0 && h.queued === 0);
  });
});

describe("admission: queue timeout", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 1, queue: { maxQueue: 4, queueTimeoutMs: 200 } });
  });
  after(async () => {
    await server.close();
  });

  test("a request that cannot get a slot within --queue-timeout gets a 503 before any output", async () => {
    const holder = new AbortController();
    await startStream(server, holder);
    const response = await postJson(`${server.url}/v1/completions`, { model: MODEL_ID, prompt: "x", max_tokens: 2, stream: true });
    assert.equal(response.status, 503);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "server_overloaded");
    holder.abort();
    await waitForHealth(server, (h) => h.slots.busy === 0 && h.queued === 0);
  });
});

const text = (words: number): string =>
  Array.from({ length: words }, (_, i) => ["amber", "delta", "fjord", "granite", "meadow", "copper"][(i * 5) % 6]).join(" ");

describe("prefill in chunks", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 1, prefillChunk: 16 });
  });
  after(async () => {
    await server.close();
  });

  test("a client that disconnects during prefill stops it within a step and frees the slot", async () => {
    const prompt = text(1800);
    const promptTokens = server.engine.promptTokens(prompt, true).length;
    const before = (await health(server)).counters.prefillTokens;
    const controller = new AbortController();
    const request = postJson(`${server.url}/v1/completions`, { model: MODEL_ID, prompt, max_tokens: 5, stream: true }, {}, controller.signal).catch((error: Error) => error);
    await waitForHealth(server, (h) => h.slots.prefill === 1);
    controller.abort();
    assert.ok((await request) instanceof Error);
    const after = await waitForHealth(server, (h) => h.slots.busy === 0);
    const prefilled = after.counters.prefillTokens - before;
    assert.ok(prefilled < promptTokens - 16, `prefill stopped early: ${prefilled} of ${promptTokens} tokens evaluated`);
  });
});

describe("four slots, many clients", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 4 });
  });
  after(async () => {
    await server.close();
  });

  test("100 concurrent streamed requests on --parallel 4 all complete with correct usage; no slot is left busy", async () => {
    const client = server.client();
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const prompt = `Request ${i}: ${text(5 + (i % 7))}`;
        const stream = await client.completions.create({
          model: MODEL_ID,
          prompt,
          max_tokens: 6 + (i % 5),
          stream: true,
          stream_options: { include_usage: true },
          logit_bias: { "2": -100 },
        });
        let finishes = 0;
        let usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined;
        for await (const chunk of stream) {
          if (chunk.choices[0]?.finish_reason) finishes++;
          if (chunk.usage) usage = chunk.usage;
        }
        return { i, prompt, finishes, usage };
      }),
    );
    for (const { i, prompt, finishes, usage } of results) {
      assert.equal(finishes, 1, `request ${i}: one finish_reason`);
      assert.equal(usage?.completion_tokens, 6 + (i % 5), `request ${i}: completion tokens`);
      assert.equal(usage?.prompt_tokens, server.engine.promptTokens(prompt, true).length, `request ${i}: prompt tokens`);
      assert.equal(usage?.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    }
    const h = await waitForHealth(server, (x) => x.slots.busy === 0 && x.queued === 0);
    assert.equal(h.slots.idle, 4);

    // the same totals in Prometheus' format
    const metrics = await fetch(`${server.url}/metrics`);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain/);
    const values = new Map(
      (await metrics.text())
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith("#"))
        // one model served: its series, by name without the model label
        .map((line) => [line.split(" ")[0]!.replace(/\{model="[^"]*"\}$/, ""), Number(line.split(" ")[1])] as const),
    );
    const generated = results.reduce((sum, r) => sum + (r.usage?.completion_tokens ?? 0), 0);
    assert.ok(values.get("hermes_requests_total")! >= 100);
    assert.ok(values.get("hermes_generated_tokens_total")! >= generated);
    assert.equal(values.get("hermes_slots"), 4);
    assert.equal(values.get("hermes_slots_decode"), 0);
    assert.equal(values.get("hermes_requests_queued"), 0);
  });

  test("a system prompt shared with a running request is copied from its slot, and reported as cached tokens", async () => {
    const system = text(300);
    const holder = new AbortController();
    const holding = postJson(`${server.url}/v1/chat/completions`, { ...long, messages: [{ role: "system", content: system }, ...long.messages], stream: true }, {}, holder.signal);
    const reader = (await holding).body!.getReader();
    await reader.read();
    const before = (await health(server)).counters.copiedTokens;
    const answer = await server.client().chat.completions.create({
      model: MODEL_ID,
      messages: [
        { role: "system", content: system },
        { role: "user", content: "A different question." },
      ],
      max_tokens: 2,
    });
    const cached = answer.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    assert.ok(cached >= server.engine.tokenize(system, false).length, `cached ${cached}`);
    assert.equal((await health(server)).counters.copiedTokens - before, cached);
    holder.abort();
    await waitForHealth(server, (h) => h.slots.busy === 0);
  });
});

describe("--request-timeout", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 1, requestTimeoutMs: 300 });
  });
  after(async () => {
    await server.close();
  });

  test("a completion past its deadline ends with 504 timeout, streamed or not, and frees its slot", async () => {
    const plain = await postJson(`${server.url}/v1/chat/completions`, long);
    assert.equal(plain.status, 504);
    assert.deepEqual(((await plain.json()) as { error: { code: string; type: string } }).error.code, "timeout");
    await waitForHealth(server, (h) => h.slots.busy === 0);

    const streamed = await postJson(`${server.url}/v1/chat/completions`, { ...long, stream: true });
    assert.equal(streamed.status, 200);
    const events = await readSseEvents(streamed);
    assert.equal(events.at(-1), "[DONE]");
    const error = JSON.parse(events.at(-2)!) as { error?: { code: string } };
    assert.equal(error.error?.code, "timeout");
    await waitForHealth(server, (h) => h.slots.busy === 0);

    const quick = await server.client().chat.completions.create({ ...long, max_tokens: 2 });
    assert.equal(quick.usage?.completion_tokens, 2);
  });
});

describe("admission without a race", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 2, queue: { maxQueue: 4, queueTimeoutMs: 0 } });
  });
  after(async () => {
    await server.close();
  });

  test("--parallel 2 --max-queue 4: of 12 simultaneous requests exactly 6 are answered, 6 get 503 with Retry-After", async () => {
    const responses = await Promise.all(Array.from({ length: 12 }, () => postJson(`${server.url}/v1/chat/completions`, { ...long, max_tokens: 300 })));
    const answered = responses.filter((response) => response.status === 200);
    const refused = responses.filter((response) => response.status === 503);
    assert.equal(answered.length, 6);
    assert.equal(refused.length, 6);
    for (const response of refused) {
      assert.equal(response.headers.get("retry-after"), "1");
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "server_overloaded");
    }
    for (const response of answered) assert.equal(((await response.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens, 300);
    await waitForHealth(server, (h) => h.slots.busy === 0 && h.queued === 0);
  });
});

describe("requests with many choices", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 2, queue: { maxQueue: 1, queueTimeoutMs: 0 } });
  });
  after(async () => {
    await server.close();
  });

  test("on an idle --parallel 2 --max-queue 1 server, a prompt array of 5, n 6 and best_of 6 are all answered", async () => {
    const client = server.client();
    const array = await client.completions.create({ model: MODEL_ID, prompt: ["a", "b", "c", "d", "e"].map((p) => `${p}: ${text(4)}`), max_tokens: 3 });
    assert.deepEqual(array.choices.map((c) => c.index).sort((a, b) => a - b), [0, 1, 2, 3, 4]);
    const n = await client.chat.completions.create({ ...long, max_tokens: 3, n: 6 });
    assert.equal(n.choices.length, 6);
    const bestOf = await client.completions.create({ model: MODEL_ID, prompt: text(8), max_tokens: 3, n: 2, best_of: 6 });
    assert.equal(bestOf.choices.length, 2);
    assert.equal(bestOf.usage?.completion_tokens, 18, "all six candidates ran");
    await waitForHealth(server, (h) => h.slots.busy === 0 && h.queued === 0);
  });

  test("with the slots busy and the queue full, a request of many choices is refused whole, having computed nothing", async () => {
    const a = new AbortController();
    const b = new AbortController();
    await Promise.all([startStream(server, a), startStream(server, b)]);
    const queued = postJson(`${server.url}/v1/chat/completions`, { ...long, max_tokens: 2 });
    await waitForHealth(server, (h) => h.queued === 1);
    const before = (await health(server)).counters as unknown as Record<string, number>;
    const refused = await postJson(`${server.url}/v1/completions`, { model: MODEL_ID, prompt: ["x", "y", "z", "w", "v"], max_tokens: 2, n: 2 });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    const h = await health(server);
    const after = h.counters as unknown as Record<string, number>;
    for (const counter of ["requests", "promptTokens", "prefillTokens", "cachedTokens"]) assert.equal(after[counter], before[counter], counter);
    assert.equal(h.queued, 1, "nothing of it was queued");
    a.abort();
    b.abort();
    assert.equal((await queued).status, 200);
    await waitForHealth(server, (x) => x.slots.busy === 0 && x.queued === 0);
  });
});

describe("an engine fault through the server", () => {
  const faults = new FaultySequences();
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ parallel: 2, wrapSequencesForTests: faults.wrap });
  });
  after(async () => {
    await server.close();
  });

  test("a failed decode is a 500 internal_error, or an error event and [DONE] mid-stream; the other stream and later requests are served", async () => {
    const other = server.client().chat.completions.create({ ...long, max_tokens: 400 });
    await waitForHealth(server, (h) => h.slots.decode === 1);
    const busySlot = 0; // the first request took the least recently used slot, slot 0
    const streamed = await postJson(`${server.url}/v1/chat/completions`, { ...long, stream: true });
    assert.equal(streamed.status, 200);
    faults.failNext(1 - busySlot, "decode");
    const events = await readSseEvents(streamed);
    assert.equal(events.at(-1), "[DONE]");
    const error = JSON.parse(events.at(-2)!) as { error: { code: string; message: string } };
    assert.equal(error.error.code, "internal_error");
    assert.doesNotMatch(error.error.message, /injected/, "no internals reach the client");

    await waitForHealth(server, (h) => h.slots.decode === 1);
    faults.failNext(1 - busySlot, "prefill");
    const plain = await postJson(`${server.url}/v1/completions`, { model: MODEL_ID, prompt: text(300), max_tokens: 2 });
    assert.equal(plain.status, 500);
    assert.equal(((await plain.json()) as { error: { code: string } }).error.code, "internal_error");

    assert.equal((await other).usage?.completion_tokens, 400, "the other request got every token");
    assert.equal(faults.injected, 2);
    const after = await server.client().chat.completions.create({ ...long, max_tokens: 3 });
    assert.equal(after.usage?.completion_tokens, 3);
    await waitForHealth(server, (h) => h.slots.busy === 0);
  });
});
