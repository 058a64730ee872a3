import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { parquetWriteFile } from "hyparquet-writer";
import OpenAI from "openai";
import { benchModelPath } from "../src/cli/benchCommand.js";
import { StressServer } from "../src/stress/StressServer.js";
import { fileURLToPath } from "node:url";
import { haproxyConfig } from "./haproxyConfig.js";

/**
 * `npm run test:replicas`: two `hermes serve` replicas (`--threads 1` each) behind HAProxy (Debian's `haproxy`,
 * installed by .ci/run), as docs/deploy.md runs them. A rolling restart under load loses no request; the
 * throughput through one replica and through two is reported.
 */

/** The rolling restart runs on the demo model; the throughput on the bench's 1B shape, where compute, not HTTP, is the cost. */
const DEMO = { args: ["--demo"], id: "nousresearch/nous-hermes-llama2-13b" };
const CHECK_MS = 300;
const children: ChildProcess[] = [];
const replicas: StressServer[] = [];
after(async () => {
  for (const child of children) child.kill("SIGKILL");
  for (const replica of replicas) await replica.kill();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function replica(port: number, model: { args: string[] } = DEMO): Promise<StressServer> {
  const server = await StressServer.start([...model.args, "--threads", "1", "--parallel", "2", "--port", String(port), "--shutdown-grace", "20"], 120_000);
  replicas.push(server);
  return server;
}

/** HAProxy in the foreground on `frontend`, resolved once it routes a request to a replica. */
async function haproxy(frontend: number, servers: ReadonlyArray<{ name: string; port: number }>): Promise<ChildProcess> {
  const dir = mkdtempSync(join(os.tmpdir(), "hermes-haproxy-"));
  const config = join(dir, "haproxy.cfg");
  writeFileSync(config, haproxyConfig({ frontend, servers, checkMs: CHECK_MS }));
  const child = spawn("haproxy", ["-db", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let output = "";
  child.stderr!.on("data", (data: Buffer) => (output += data.toString()));
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", resolve);
  });
  if (spawned) throw new Error(`haproxy could not start (${spawned.message}): install Debian's haproxy (apt-get install haproxy)`);
  await until(async () => (await fetch(`http://127.0.0.1:${frontend}/health`).catch(() => undefined))?.status === 200, `haproxy routes to a replica\n${output}`);
  return child;
}

/** Polls `condition` every 50 ms; throws after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface LoadResult {
  completed: number;
  failures: string[];
  seconds: number;
}

/**
 * `clients` clients through the balancer, each sending requests one after another, streamed and not in turn, until
 * `stop()` says so (checked before each request) — with the official client, no retries of its own: whatever is
 * retried is retried by the balancer. A request counts as complete only with its whole answer: a finish reason and
 * the usage, and for a stream every chunk up to the usage chunk.
 */
async function load(url: string, clients: number, stop: (completed: number) => boolean, model: { id: string; maxTokens: number } = { id: DEMO.id, maxTokens: 24 }): Promise<LoadResult> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "none", maxRetries: 0, timeout: 120_000 });
  const result: LoadResult = { completed: 0, failures: [], seconds: 0 };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; !stop(result.completed); i++) {
        const request = { model: model.id, messages: [{ role: "user" as const, content: `client ${c} request ${i}: say something` }], max_tokens: model.maxTokens };
        try {
          if (i % 2 === 0) {
            const answer = await client.chat.completions.create(request);
            assert.ok(answer.choices[0]?.finish_reason, "a finish reason");
            assert.ok(answer.usage && answer.usage.completion_tokens > 0, "the usage");
          } else {
            let finished = false;
            let usage = false;
            for await (const chunk of await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })) {
              if (chunk.choices[0]?.finish_reason) finished = true;
              if (chunk.usage) usage = true;
            }
            assert.ok(finished && usage, "a stream ends with its finish reason and its usage");
          }
          result.completed++;
        } catch (error) {
          result.failures.push(`client ${c} request ${i} (${i % 2 === 0 ? "whole" : "stream"}): ${(error as Error).message}`);
        }
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** Requests a replica admitted since it started (its /health counters). */
async function admitted(server: StressServer): Promise<number> {
  const health = (await server.health()) as unknown as { counters?: { requests: number } } | undefined;
  return health?.counters?.requests ?? 0;
}

test("a rolling restart under load behind HAProxy: one replica SIGTERMed mid-load and started again, every request answered whole, none reset", { timeout: 300_000 }, async () => {
  const [pa, pb, front] = await Promise.all([freePort(), freePort(), freePort()]);
  let a = await replica(pa);
  const b = await replica(pb);
  const proxy = await haproxy(front, [
    { name: "a", port: pa },
    { name: "b", port: pb },
  ]);
  // the load runs until the restarted replica is back, then for 20 more requests
  let restarted = false;
  let base: number | undefined;
  const running = load(`http://127.0.0.1:${front}`, 4, (completed) => {
    if (!restarted) return false;
    base ??= completed;
    return completed >= base + 20;
  });
  try {
    await until(async () => (await admitted(a)) >= 4 && (await admitted(b)) >= 4, "both replicas served requests");
    a.signal("SIGTERM");
    assert.ok(await a.waitForExit(30_000), "the replica drained and exited");
    assert.equal(a.exit?.code, 0);
    a = await replica(pa);
    await until(async () => (await admitted(a)) >= 4, "the restarted replica is served requests again", 60_000);
  } finally {
    restarted = true;
  }
  const result = await running;
  proxy.kill("SIGTERM");
  assert.deepEqual(result.failures, [], "every request got its whole answer");
  assert.ok(result.completed >= 28, `${result.completed} requests completed`);
  console.log(`rolling restart: ${result.completed} requests over ${result.seconds.toFixed(1)} s, ${result.failures.length} failed`);
});

test("throughput: requests per second through HAProxy to one replica and to two (reported, not judged)", { timeout: 600_000 }, async () => {
  const model = { args: ["--model", benchModelPath({ shape: "1b", type: "q4_0" }), "--ctx-size", "512"], id: "bench-1b", maxTokens: 16 };
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const [pa, pb, oneFront, twoFront] = ports as [number, number, number, number];
  await Promise.all([replica(pa, model), replica(pb, model)]);
  const requests = 16;
  const measure = async (front: number, servers: Array<{ name: string; port: number }>): Promise<LoadResult> => {
    const proxy = await haproxy(front, servers);
    try {
      // a warm-up round, then the measured one
      await load(`http://127.0.0.1:${front}`, 4, (completed) => completed >= 4, model);
      return await load(`http://127.0.0.1:${front}`, 4, (completed) => completed >= requests, model);
    } finally {
      proxy.kill("SIGTERM");
    }
  };
  const one = await measure(oneFront, [{ name: "a", port: pa }]);
  const two = await measure(twoFront, [
    { name: "a", port: pa },
    { name: "b", port: pb },
  ]);
  assert.deepEqual([...one.failures, ...two.failures], []);
  const rate = (r: LoadResult): number => r.completed / r.seconds;
  const table = [
    `| replicas (1B shape q4_0, --threads 1 --parallel 2 each) | requests | seconds | requests/s |`,
    `|---|---|---|---|`,
    `| 1 | ${one.completed} | ${one.seconds.toFixed(1)} | ${rate(one).toFixed(2)} |`,
    `| 2 | ${two.completed} | ${two.seconds.toFixed(1)} | ${rate(two).toFixed(2)} |`,
  ].join("\n");
  console.log(`${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores; 4 clients, 16-token answers\n${table}\ntwo / one: ${(rate(two) / rate(one)).toFixed(2)}x`);
});

/** `documents` ARC-Easy-shaped questions of 4 choices, in the layout `hermes eval --data` reads. */
function arcEasyData(documents: number): string {
  const dir = mkdtempSync(join(os.tmpdir(), "hermes-replicas-eval-"));
  const filename = join(dir, "allenai__ai2_arc/ARC-Easy/test-00000-of-00001.parquet");
  mkdirSync(dirname(filename), { recursive: true });
  const things = ["a stone", "a bird", "the sun", "a river", "snow", "a tree", "fire", "the moon"];
  const question = (i: number): string => `Question ${i}: which of these is most likely to be found near ${things[i % things.length]} in spring?`;
  parquetWriteFile({
    filename,
    columnData: [
      { name: "question", data: Array.from({ length: documents }, (_, i) => question(i)), type: "STRING" },
      { name: "choices", data: Array.from({ length: documents }, (_, i) => ({ text: [0, 1, 2, 3].map((k) => things[(i + k) % things.length]!), label: ["A", "B", "C", "D"] })) },
      { name: "answerKey", data: Array.from({ length: documents }, (_, i) => "ABCD"[i % 4]!), type: "STRING" },
    ] as never,
  });
  return dir;
}

/** `hermes eval --target` as a user runs it; resolves with the seconds it took (bounded: 10 min). */
function evalThrough(target: string, data: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL("../../bin/hermes.cjs", import.meta.url)), "eval", "--target", target, "--tasks", "arc_easy", "--data", data, "--allow-subset", "--documents", "8"], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0 && /\|arc_easy\|/.test(output)) resolve((performance.now() - started) / 1000);
      else reject(new Error(`hermes eval exited with ${code}:\n${output}`));
    });
  });
}

test("hermes eval --target through HAProxy spreads its documents over the replicas: documents per second through one and through two (reported)", { timeout: 900_000 }, async () => {
  const model = { args: ["--model", benchModelPath({ shape: "1b", type: "q4_0" }), "--ctx-size", "512", "--parallel", "4"] };
  const documents = 24;
  const data = arcEasyData(documents);
  const [pa, pb, oneFront, twoFront] = (await Promise.all([freePort(), freePort(), freePort(), freePort()])) as [number, number, number, number];
  await Promise.all([replica(pa, model), replica(pb, model)]);
  const through = async (front: number, servers: Array<{ name: string; port: number }>): Promise<number> => {
    const proxy = await haproxy(front, servers);
    try {
      return await evalThrough(`http://127.0.0.1:${front}/v1`, data);
    } finally {
      proxy.kill("SIGTERM");
    }
  };
  const one = await through(oneFront, [{ name: "a", port: pa }]);
  const two = await through(twoFront, [
    { name: "a", port: pa },
    { name: "b", port: pb },
  ]);
  const table = [
    "| replicas (1B shape q4_0, --threads 1 --parallel 4 each) | documents | seconds | documents/s |",
    "|---|---|---|---|",
    `| 1 | ${documents} | ${one.toFixed(1)} | ${(documents / one).toFixed(2)} |`,
    `| 2 | ${documents} | ${two.toFixed(1)} | ${(documents / two).toFixed(2)} |`,
  ].join("\n");
  console.log(`hermes eval --target (arc_easy, 4 choices, --documents 8)\n${table}\ntwo / one: ${(one / two).toFixed(2)}x`);
});
