import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { cutsScenario } from "../src/stress/cutsScenario.js";
import { fuzzScenario } from "../src/stress/fuzzScenario.js";
import type { Exchange } from "../src/stress/httpExchange.js";
import { judgeExchange } from "../src/stress/judgeExchange.js";
import { judgeStress } from "../src/stress/judgeStress.js";
import { overloadScenario } from "../src/stress/overloadScenario.js";
import { runStress } from "../src/stress/runStress.js";
import { stressServerArgs } from "../src/stress/stressServerArgs.js";
import { ServerSupervisor } from "../src/stress/ServerSupervisor.js";
import { sigtermScenario } from "../src/stress/sigtermScenario.js";
import { slowClientsScenario } from "../src/stress/slowClientsScenario.js";
import type { StressReport } from "../src/stress/StressReport.js";

// `npm run stress`'s scenarios with small counts, against the real server as a child process (SIGTERM needs one)
const settings = { parallel: 2, maxQueue: 4, apiKey: "stress-test-key", graceSeconds: 30 };
const key = settings.apiKey;
const model = "nousresearch/nous-hermes-llama2-13b";
let supervisor: ServerSupervisor;

before(async () => {
  supervisor = await ServerSupervisor.start(stressServerArgs(settings));
});
after(async () => {
  await supervisor.stop();
});

const answer = (status: number, body: string, contentType = "application/json"): Exchange => ({
  outcome: "answered",
  status,
  headers: { "content-type": contentType },
  body: Buffer.from(body),
  headersMs: 1,
  totalMs: 2,
});

test("an exchange is judged by status, error shape and stream framing", () => {
  assert.equal(judgeExchange("POST", answer(400, '{"error":{"message":"m","type":"t","param":null,"code":"c"}}')), undefined);
  assert.equal(judgeExchange("POST", answer(400, '{"error":{"message":"m","type":"t"}}'))?.kind, "error-shape");
  assert.equal(judgeExchange("POST", answer(400, ""))?.kind, "error-shape");
  assert.equal(judgeExchange("HEAD", answer(404, "")), undefined);
  assert.equal(judgeExchange("POST", answer(500, '{"error":{"message":"m","type":"t","param":null,"code":null}}'))?.kind, "5xx");
  assert.equal(judgeExchange("POST", { outcome: "reset", body: Buffer.alloc(0), totalMs: 1, error: "ECONNRESET" })?.kind, "reset");
  assert.equal(judgeExchange("POST", { outcome: "timeout", body: Buffer.alloc(0), totalMs: 1 })?.kind, "timeout");
  assert.equal(judgeExchange("POST", answer(200, 'data: {"a":1}\n\ndata: [DONE]\n\n', "text/event-stream")), undefined);
  assert.equal(judgeExchange("POST", answer(200, 'data: {"a":1}\n\n', "text/event-stream"))?.kind, "stream-framing");
  assert.match(judgeExchange("POST", answer(200, 'data: {"error":{"message":"m"}}\n\ndata: [DONE]\n\n', "text/event-stream"))!.detail, /OpenAI's shape/);
  // each dialect's errors in its own shape: Anthropic's (or the server's OpenAI-shaped 404 for a route it lacks), Ollama's
  const anthropic = '{"type":"error","error":{"type":"invalid_request_error","message":"m"}}';
  assert.equal(judgeExchange("POST", answer(400, anthropic), "messages"), undefined);
  assert.equal(judgeExchange("POST", answer(400, '{"error":{"message":"m","type":"t","param":null,"code":null}}'), "messages")?.kind, "error-shape");
  assert.equal(judgeExchange("GET", answer(404, '{"error":{"message":"m","type":"t","param":null,"code":null}}'), "messages"), undefined);
  assert.equal(judgeExchange("POST", answer(400, anthropic), "chat")?.kind, "error-shape");
  assert.equal(judgeExchange("POST", answer(404, '{"error":"model \'x\' not found"}'), "ollama"), undefined);
  assert.equal(judgeExchange("POST", answer(404, '{"error":{"message":"m","type":"t","param":null,"code":null}}'), "ollama")?.kind, "error-shape");
});

test("the Reliability rows say met or MISSED from the figures", () => {
  const report = {
    memory: { pidBefore: 1, pidAfter: 1, rssBeforeKiB: 1024, rssAfterKiB: 2048, afterScenarios: [] },
    restarts: [],
    errors: [],
    overload: { clients: 10, answered: 4, rejected: 6, rejectedWithoutRetryAfter: 0, late: 1, hung: 0, resets: 0, truncated: 0, other: {}, queueWaitP50: 5, queueWaitP99: 9, maxHeadersMs: 1200 },
  } as unknown as StressReport;
  const rows = judgeStress(report);
  assert.equal(rows.find((row) => row.figure.startsWith("clients with"))?.met, true);
  assert.equal(rows.find((row) => row.figure.startsWith("answers (headers) later"))?.met, false);
  assert.equal(rows.find((row) => row.scenario === "memory")?.measured, "1 MiB / 2 MiB");
  assert.equal(rows.find((row) => row.figure.startsWith("server RSS growth"))?.measured, "1 MiB");
});

test("the memory rows give the RSS after each scenario, its growth on the same process, and say a restart", () => {
  const afterScenarios = [
    { scenario: "fuzz", pid: 1, restarted: false, rssKiB: 4096 },
    { scenario: "overload", pid: 2, restarted: true, rssKiB: 1024 },
    { scenario: "cuts", pid: 2, restarted: false, rssKiB: 3072 },
    { scenario: "slow clients", pid: 2, restarted: false, rssKiB: 2048 },
  ];
  const report = { memory: { pidBefore: 1, pidAfter: 2, rssBeforeKiB: 1024, rssAfterKiB: 2048, afterScenarios }, restarts: [], errors: [] } as unknown as StressReport;
  const rows = judgeStress(report).filter((row) => row.scenario === "memory");
  assert.deepEqual(
    rows.map((row) => `${row.figure}: ${row.measured}`),
    [
      "server RSS before / after the run: 1 MiB / 2 MiB (a restarted process)",
      "server RSS after fuzz: 4 MiB (+3 MiB)",
      "server RSS after overload: 1 MiB (a restarted process, pid 2)",
      "server RSS after cuts: 3 MiB (+2 MiB)",
      "server RSS after slow clients: 2 MiB (−1 MiB)",
    ],
  );
});

test("fuzz: hostile requests over every route get no 5xx, no reset, no hang and errors in their API's shape", async () => {
  const result = await fuzzScenario(supervisor, { runs: 300, seed: 7, key, model, requestTimeoutMs: 10_000, maxRestarts: 3 });
  const violations = result.violations.map((v) => `${v.signature} x${v.count}: ${v.detail.split("\n")[0]}\n  ${JSON.stringify(v.shrunk ?? v.request).slice(0, 600)}`);
  assert.deepEqual(violations, []);
  assert.equal(result.restarts, 0);
  assert.ok(result.healthAfter, "/health answers after the fuzz");
});

test("overload: every one of 60 concurrent clients gets a whole answer or a 503 with Retry-After within 1 s", async () => {
  const result = await overloadScenario(supervisor.origin, { clients: 60, key, model, maxTokens: 16, answerWithinMs: 1_000, timeoutMs: 30_000 });
  assert.ok(result.answered >= settings.parallel, `answered: ${result.answered}`);
  assert.equal(result.answered + result.rejected, result.clients, JSON.stringify(result));
  assert.equal(result.late, 0, `slowest headers ${result.maxHeadersMs} ms`);
});

test("cuts: streams cut before headers, in prefill and mid-stream leave no busy slot, no queue and no generation", async () => {
  let seed = 1;
  const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const result = await cutsScenario(supervisor.server, { cuts: 90, key, model, concurrency: 4, random, watchMs: 500 });
  assert.deepEqual(result.unexpected, {});
  assert.ok(result.idle, `busy ${result.busyAfter}, queued ${result.queuedAfter}`);
  assert.equal(result.generatedGrowth, 0);
});

test("slow clients: a slowloris and a reader that stopped reading leave normal streams whole and the slots free", async () => {
  const result = await slowClientsScenario(supervisor.server, { key, model, rounds: 1, tokens: 64, stalledTokens: 512 });
  assert.equal(result.failedStreams, 0);
  assert.equal(result.stalledDone, 1, "the stalled reader's output is generated although nobody reads it");
  // the speed ratio is `npm run stress`'s figure: a timed assertion here would fail on a busy machine
  assert.ok((await supervisor.server.waitForHealth((h) => h.slots.busy === 0 && h.queued === 0, 15_000)).met, "the stalled reader's slot is freed once it leaves");
});

test("SIGTERM under load: /health says draining, new requests get 503, running streams finish, queued get 503, exit 0", async () => {
  const result = await sigtermScenario(supervisor.server, { key, model, requests: 6, parallel: settings.parallel, maxTokens: 400, graceSeconds: settings.graceSeconds });
  assert.ok(result.healthDraining, `health: ${result.healthStatus}`);
  assert.ok(result.newRequestRefused, `new request: ${result.newRequestStatus}`);
  assert.equal(result.running, settings.parallel);
  assert.equal(result.runningCompleted, result.running);
  assert.equal(result.queuedRefused, result.queued);
  assert.equal(result.resets, 0);
  assert.equal(result.truncated, 0);
  assert.equal(result.exitCode, 0);
});

test("a whole run records the server's RSS after each scenario, on the one process it started, and the model swaps' on theirs", async () => {
  const report = await runStress(
    { fuzz: 5, clients: 4, cuts: 3, rounds: 1, swaps: 2, seed: 1, ...settings, model },
    { date: "2026-01-01T00:00:00.000Z", commit: "test", command: "test", machine: { cpu: "test", cores: 1, memoryGiB: 1, node: process.versions.node } },
  );
  assert.deepEqual(report.errors, []);
  assert.deepEqual(
    report.memory.afterScenarios.map(({ scenario, pid, restarted }) => ({ scenario, pid, restarted })),
    ["fuzz", "overload", "cuts", "slow clients"].map((scenario) => ({ scenario, pid: report.memory.pidBefore, restarted: false })),
  );
  for (const sample of report.memory.afterScenarios) assert.ok(sample.rssKiB !== undefined && sample.rssKiB > 0, JSON.stringify(sample));
  // two cycles: four loads through /models/load, each followed by a request to the model loaded
  assert.equal(report.swaps?.failures, 0);
  assert.equal(report.swaps?.loadMs.length, 4);
  assert.equal(report.swaps?.rssKiB.length, 2);
});
