import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { describe, test } from "node:test";
import OpenAI from "openai";
import { postJson, readSseEvents } from "./helpers/testServer.js";

const bin = new URL("../../bin/hermes.cjs", import.meta.url).pathname;
const MODEL = "nousresearch/nous-hermes-llama2-13b";

interface Served {
  child: ChildProcess;
  url: string;
  /** The exit code, and the ms from the first signal sent to the exit. */
  exit: Promise<{ code: number | null; ms: number }>;
  signal(name: NodeJS.Signals): void;
}

/** `hermes serve --demo` as a user runs it, ready to answer. */
async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [bin, "serve", "--demo", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (data: Buffer) => {
      output += data.toString();
      const match = /ready at (http:\/\/\S+)\/v1 /.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before it was ready:\n${output}`)));
  });
  let signalledAt = 0;
  const exit = new Promise<{ code: number | null; ms: number }>((resolve) => child.once("exit", (code) => resolve({ code, ms: Date.now() - signalledAt })));
  return {
    child,
    url,
    exit,
    signal: (name) => {
      signalledAt ||= Date.now();
      child.kill(name);
    },
  };
}

interface Health {
  status: string;
  slots: { busy: number };
  queued: number;
}

async function health(url: string): Promise<{ status: number; body: Health }> {
  const response = await fetch(`${url}/health`);
  return { status: response.status, body: (await response.json()) as Health };
}

/** Polls /health until `predicate` holds (bounded: fails after 15 s). */
async function waitForHealth(url: string, predicate: (h: Health) => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { body } = await health(url);
    if (predicate(body)) return;
    if (Date.now() > deadline) throw new Error(`health never matched: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A long answer: end of sequence banned, so it runs to `max_tokens`. */
const long = (stream: boolean) => ({
  model: MODEL,
  messages: [{ role: "user", content: "Tell me everything." }],
  max_tokens: 3000,
  logit_bias: { "2": -100 },
  stream,
});

/** What a client got: a whole stream (its events), a status with an error body, or a network failure. */
type Outcome = { kind: "stream"; events: string[] } | { kind: "json"; status: number; body: Record<string, unknown>; connection: string | null } | { kind: "failed"; error: string };

async function request(url: string, stream: boolean): Promise<Outcome> {
  try {
    const response = await postJson(`${url}/v1/chat/completions`, long(stream));
    if (stream && response.status === 200) return { kind: "stream", events: await readSseEvents(response) };
    return { kind: "json", status: response.status, body: (await response.json()) as Record<string, unknown>, connection: response.headers.get("connection") };
  } catch (error) {
    return { kind: "failed", error: String((error as Error).cause ?? error) };
  }
}

/** The outcome as a JSON answer with `status` (fails the test otherwise). */
function answer(outcome: Outcome | undefined, status: number): Record<string, unknown> & { connection: string | null } {
  assert.ok(outcome?.kind === "json", JSON.stringify(outcome));
  assert.equal(outcome.status, status, JSON.stringify(outcome.body));
  return { ...outcome.body, connection: outcome.connection };
}

function errorCode(body: Record<string, unknown>): string | undefined {
  return (body.error as { code?: string } | undefined)?.code;
}

/** The events of a whole stream (fails the test otherwise); the last one is always [DONE]. */
function streamEvents(outcome: Outcome | undefined): string[] {
  assert.ok(outcome?.kind === "stream", JSON.stringify(outcome));
  assert.equal(outcome.events.at(-1), "[DONE]");
  return outcome.events;
}

describe("graceful drain on SIGTERM, through the real process", () => {
  test("running requests finish, queued ones get 503, /health says draining at once (/health/live stays 200), new requests get 503 with Connection: close, exit 0", async () => {
    const server = await serve(["--parallel", "2", "--shutdown-grace", "30"]);
    try {
      // two in the slots (one streamed, one not), three waiting (streamed and not)
      const running = [request(server.url, true), request(server.url, false)];
      await waitForHealth(server.url, (h) => h.slots.busy === 2);
      const queued = [request(server.url, true), request(server.url, false), request(server.url, true)];
      await waitForHealth(server.url, (h) => h.queued === 3);

      server.signal("SIGTERM");
      await waitForHealth(server.url, (h) => h.status === "draining");
      const drainingHealth = await health(server.url);
      assert.equal(drainingHealth.status, 503);
      // liveness stays 200: the process is responsive, only not ready (a restart would cut the running requests)
      const live = await fetch(`${server.url}/health/live`);
      assert.equal(live.status, 200);
      assert.deepEqual(await live.json(), { status: "alive" });
      const late = answer(await request(server.url, false), 503);
      assert.equal(errorCode(late), "server_shutting_down");
      assert.equal(late.connection, "close");

      for (const outcome of await Promise.all(queued)) assert.equal(errorCode(answer(outcome, 503)), "server_shutting_down");
      const [streamed, plain] = await Promise.all(running);
      const last = JSON.parse(streamEvents(streamed).at(-2)!) as { choices: Array<{ finish_reason: string | null }> };
      assert.equal(last.choices[0]!.finish_reason, "length", "the running stream ran to its end");
      assert.equal((answer(plain, 200).usage as { completion_tokens: number }).completion_tokens, 3000);

      const { code, ms } = await server.exit;
      assert.equal(code, 0);
      assert.ok(ms < 30_000, `exited ${ms} ms after SIGTERM, within the grace period`);
    } finally {
      server.child.kill("SIGKILL");
    }
  });

  test("past --shutdown-grace the running requests end cleanly: an error event and [DONE] in a stream, a 503 otherwise; exit 0", async () => {
    const server = await serve(["--parallel", "2", "--shutdown-grace", "0.5"]);
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 30_000 });
      const streamed = request(server.url, true);
      const plain = client.chat.completions.create({ ...long(false), stream: false } as OpenAI.ChatCompletionCreateParamsNonStreaming).then(
        () => undefined,
        (error: unknown) => error,
      );
      await waitForHealth(server.url, (h) => h.slots.busy === 2);
      server.signal("SIGTERM");

      const events = streamEvents(await streamed);
      assert.equal((JSON.parse(events.at(-2)!) as { error: { code: string } }).error.code, "server_shutting_down");
      const error = await plain;
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.equal(error.status, 503);
      assert.equal((error.error as { code?: string }).code, "server_shutting_down");
      assert.equal((await server.exit).code, 0);
    } finally {
      server.child.kill("SIGKILL");
    }
  });

  test("a second signal during the drain exits at once, non-zero", async () => {
    const server = await serve(["--parallel", "1", "--shutdown-grace", "30"]);
    try {
      const running = request(server.url, true);
      await waitForHealth(server.url, (h) => h.slots.busy === 1);
      server.signal("SIGTERM");
      await waitForHealth(server.url, (h) => h.status === "draining");
      server.signal("SIGINT");
      const { code, ms } = await server.exit;
      assert.notEqual(code, 0);
      assert.ok(ms < 10_000, `exited ${ms} ms after the first signal`);
      await running; // the client sees its connection end; it must not hang
    } finally {
      server.child.kill("SIGKILL");
    }
  });
});
