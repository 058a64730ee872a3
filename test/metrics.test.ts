import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { MODEL_ID, postJson, startTestServer, type TestServer } from "./helpers/testServer.js";

let server: TestServer;
before(async () => {
  server = await startTestServer({ parallel: 1, contextSize: 512 });
});
after(async () => {
  await server.close();
});

type Families = ReturnType<typeof parsePrometheusTextFormat>;

/** /metrics, parsed by a Prometheus text-format parser (a malformed exposition throws). */
async function scrape(): Promise<Families> {
  const response = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(await response.text());
}

/** The one sample of a gauge or counter of the served model. */
function value(families: Families, name: string, labels: Record<string, string> = { model_name: MODEL_ID }): number {
  const family = families.find((f) => f.name === name);
  assert.ok(family, `${name} is exposed`);
  const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  assert.ok(sample?.value !== undefined, `${name}${JSON.stringify(labels)} has a sample`);
  return Number(sample.value);
}

/** A histogram's count (its +Inf bucket; one model is served). */
function count(families: Families, name: string): number {
  const family = families.find((f) => f.name === name);
  assert.equal(family?.type, "HISTOGRAM", `${name} is a histogram`);
  return Number(family.metrics[0]?.buckets?.["+Inf"] ?? 0);
}

/** Scrapes until `predicate` holds (bounded: fails after 15 s). */
async function until(predicate: (families: Families) => boolean, what: string): Promise<Families> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const families = await scrape();
    if (predicate(families)) return families;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test("vLLM's model-server metrics: waiting, running and KV cache use move as requests queue, run and finish; the latency histograms and token counters count them", async () => {
  const idle = await scrape();
  assert.equal(value(idle, "vllm:num_requests_waiting"), 0);
  assert.equal(value(idle, "vllm:num_requests_running"), 0);
  assert.equal(value(idle, "vllm:kv_cache_usage_perc"), 0);
  const info = idle.find((f) => f.name === "vllm:cache_config_info")!.metrics[0]!;
  assert.deepEqual(info.labels, { model_name: MODEL_ID, block_size: "16", num_gpu_blocks: String(512 / 16) });
  assert.equal(info.value, "1");
  const ttftBefore = count(idle, "vllm:time_to_first_token_seconds");

  // one slot: the first request runs, the second waits
  const holders = [new AbortController(), new AbortController()];
  const body = { model: MODEL_ID, messages: [{ role: "user", content: "Tell me a long story." }], max_tokens: 400, stream: true };
  const first = await postJson(`${server.url}/v1/chat/completions`, body, {}, holders[0]!.signal);
  const reader = first.body!.getReader();
  await reader.read();
  const second = postJson(`${server.url}/v1/chat/completions`, body, {}, holders[1]!.signal).catch(() => undefined);
  const busy = await until((f) => value(f, "vllm:num_requests_waiting") === 1, "the second request waits");
  assert.equal(value(busy, "vllm:num_requests_running"), 1);
  const usage = value(busy, "vllm:kv_cache_usage_perc");
  assert.ok(usage > 0 && usage <= 1, `KV cache usage ${usage} in (0, 1]`);
  assert.equal(value(busy, "hermes_requests_queued", { model: MODEL_ID }), 1, "the hermes_* gauge says the same");

  holders[0]!.abort();
  await reader.cancel().catch(() => undefined);
  await until((f) => value(f, "vllm:num_requests_waiting") === 0 && value(f, "vllm:num_requests_running") === 1, "the second request runs");
  holders[1]!.abort();
  await second;
  const done = await until((f) => value(f, "vllm:num_requests_running") === 0, "nothing runs");
  assert.equal(value(done, "vllm:kv_cache_usage_perc"), 0, "an idle slot's cached prefix is not usage");

  // a request that runs to its end
  const answer = await server.client().chat.completions.create({ model: MODEL_ID, messages: [{ role: "user", content: "Hi" }], max_tokens: 8, temperature: 0 });
  const last = await scrape();
  assert.ok(count(last, "vllm:time_to_first_token_seconds") >= ttftBefore + 3, "each of the three requests got its first token");
  assert.ok(count(last, "vllm:e2e_request_latency_seconds") >= 3);
  assert.ok(count(last, "vllm:request_queue_time_seconds") >= 3);
  assert.ok(count(last, "vllm:inter_token_latency_seconds") >= answer.usage!.completion_tokens - 1);
  assert.ok(value(last, "vllm:prompt_tokens_total") >= answer.usage!.prompt_tokens);
  assert.ok(value(last, "vllm:generation_tokens_total") >= answer.usage!.completion_tokens);
  assert.ok(value(last, "vllm:request_success_total", { model_name: MODEL_ID, finished_reason: "abort" }) >= 2);
  const ended = answer.choices[0]!.finish_reason;
  assert.ok(value(last, "vllm:request_success_total", { model_name: MODEL_ID, finished_reason: ended }) >= 1);
  // the process's own, from prom-client's defaults
  assert.ok(value(last, "process_resident_memory_bytes", {}) > 0);
});
