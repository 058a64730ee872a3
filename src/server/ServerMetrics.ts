import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EngineStats, RequestRecord } from "../engine/types.js";
import type { FleetModel } from "../serving/FleetModel.js";
import type { ModelFleet } from "../serving/ModelFleet.js";
import type { KeyCounters } from "./KeyLimiter.js";

/**
 * The block size a prefix-aware router should assume (vLLM's default). Our slots reuse a prefix of any length, so
 * any block size is exact for us; the router hashes prompts in blocks of this many tokens.
 */
const BLOCK_SIZE = 16;

/** vLLM's buckets (vllm/v1/metrics/loggers.py), so that dashboards made for vLLM read ours unchanged. */
const BUCKETS = {
  ttft: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560],
  interToken: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80],
  request: [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680],
};

/** The engine counters exported per model: `hermes_<name>` and what it counts. */
const ENGINE_COUNTERS: Array<[name: string, help: string, value: (stats: EngineStats) => number]> = [
  ["hermes_requests_total", "Requests admitted to a slot.", (s) => s.counters.requests],
  ["hermes_prompt_tokens_total", "Prompt tokens of the admitted requests.", (s) => s.counters.promptTokens],
  ["hermes_prompt_tokens_cached_total", "Prompt tokens reused from a KV cache instead of evaluated.", (s) => s.counters.cachedTokens],
  ["hermes_prompt_tokens_copied_total", "Cached prompt tokens copied from another slot's KV cache.", (s) => s.counters.copiedTokens],
  ["hermes_prompt_tokens_restored_total", "Cached prompt tokens restored from the prompt cache.", (s) => s.counters.restoredTokens],
  ["hermes_prefill_tokens_total", "Prompt tokens evaluated.", (s) => s.counters.prefillTokens],
  ["hermes_generated_tokens_total", "Tokens sampled.", (s) => s.counters.generatedTokens],
  ["hermes_decode_steps_total", "Decode steps (llama.cpp batches).", (s) => s.counters.steps],
  ["hermes_decode_step_tokens_total", "Tokens evaluated in decode steps.", (s) => s.counters.stepTokens],
  ["hermes_decode_step_seconds_total", "Time spent in decode steps.", (s) => s.counters.stepMs / 1000],
];

const ENGINE_GAUGES: Array<[name: string, help: string, value: (stats: EngineStats) => number]> = [
  ["hermes_slots", "Slots (requests decoded together).", (s) => s.slots.total],
  ["hermes_slots_prefill", "Slots evaluating a prompt.", (s) => s.slots.prefill],
  ["hermes_slots_decode", "Slots generating.", (s) => s.slots.decode],
  ["hermes_slots_backlogged", "Generating slots whose client has stopped reading (decoded only when the others leave room).", (s) => s.slots.backlogged],
  ["hermes_requests_queued", "Requests waiting for a slot.", (s) => s.queued],
];

type PromptCache = NonNullable<EngineStats["promptCache"]>;
const CACHE_COUNTERS: Array<[name: string, help: string, value: (cache: PromptCache) => number]> = [
  ["hermes_prompt_cache_misses_total", "Requests the prompt cache had no state worth restoring for.", (c) => c.misses],
  ["hermes_prompt_cache_saves_total", "Slot states kept by the prompt cache.", (c) => c.saves],
  ["hermes_prompt_cache_evictions_total", "States moved out of a tier of the prompt cache to stay within its bound.", (c) => c.evictions],
  ["hermes_prompt_cache_rejected_total", "Kept states found unusable (truncated, corrupt, another model's) and removed.", (c) => c.rejected],
  ["hermes_prompt_cache_restore_seconds_total", "Time spent restoring states.", (c) => c.restoreMs / 1000],
  ["hermes_prompt_cache_save_seconds_total", "Time spent keeping states.", (c) => c.saveMs / 1000],
];
const CACHE_TIERS: Array<[name: string, help: string, kind: "counter" | "gauge", value: (cache: PromptCache, tier: "ram" | "disk") => number | undefined]> = [
  ["hermes_prompt_cache_hits_total", "States restored, by the tier they came from.", "counter", (c, tier) => (tier === "disk" && !c.disk ? undefined : c.hits[tier])],
  ["hermes_prompt_cache_entries", "States held, by tier.", "gauge", (c, tier) => (tier === "ram" ? c.ram : c.disk)?.entries],
  ["hermes_prompt_cache_bytes", "Bytes of states held, by tier.", "gauge", (c, tier) => (tier === "ram" ? c.ram : c.disk)?.bytes],
  ["hermes_prompt_cache_limit_bytes", "Bound of a tier, bytes.", "gauge", (c, tier) => (tier === "ram" ? c.ram : c.disk)?.limitBytes],
];

const KEY_COUNTERS: Array<[name: string, help: string, counter: keyof KeyCounters]> = [
  ["hermes_key_requests_total", "Requests accepted per API key.", "requests"],
  ["hermes_key_rate_limited_total", "Requests refused with 429 per API key.", "rateLimited"],
  ["hermes_key_prompt_tokens_total", "Prompt tokens used per API key.", "promptTokens"],
  ["hermes_key_completion_tokens_total", "Completion tokens used per API key.", "completionTokens"],
];

/**
 * What `GET /metrics` serves, through prom-client: every model's state, its engine's figures while it is loaded
 * (`hermes_*`, labelled `model`), the figures a Kubernetes inference gateway's endpoint picker reads from a model
 * server under vLLM's names (`vllm:*`, labelled `model_name`: queue, running, KV cache use, the cache's block shape,
 * the latency histograms and token counters), each API key's counters, and the process's own (CPU, memory, event
 * loop). Gauges and the engine's counters are read from the fleet at each scrape (an engine's counters start again
 * when its model is loaded again: a counter reset to Prometheus); the histograms and vLLM's counters are fed by
 * each loaded engine's request records, and keep counting across loads.
 */
export class ServerMetrics {
  readonly registry = new Registry();

  constructor(
    fleet: ModelFleet,
    keys: () => ReadonlyArray<{ name: string; counters: KeyCounters }>,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const loaded = (): Array<{ id: string; stats: EngineStats }> =>
      fleet.models.flatMap((m) => (m.served ? [{ id: m.id, stats: m.served.engine.stats() }] : []));
    const perModel = (name: string, help: string, kind: "counter" | "gauge", value: (stats: EngineStats) => number | undefined, labelNames = ["model"]): void => {
      const options = {
        name,
        help,
        labelNames,
        registers,
        collect(this: Counter | Gauge) {
          this.reset();
          for (const { id, stats } of loaded()) {
            const v = value(stats);
            if (v === undefined) continue;
            if (this instanceof Counter) this.inc({ [labelNames[0]!]: id }, v);
            else this.set({ [labelNames[0]!]: id }, v);
          }
        },
      };
      if (kind === "counter") new Counter(options);
      else new Gauge(options);
    };

    const fleetGauge = (name: string, help: string, kind: "counter" | "gauge", value: (model: FleetModel) => number): void => {
      const options = {
        name,
        help,
        labelNames: ["model"],
        registers,
        collect(this: Counter | Gauge) {
          this.reset();
          for (const model of fleet.models) {
            if (this instanceof Counter) this.inc({ model: model.id }, value(model));
            else this.set({ model: model.id }, value(model));
          }
        },
      };
      if (kind === "counter") new Counter(options);
      else new Gauge(options);
    };
    fleetGauge("hermes_model_loaded", "Whether the model is loaded (1), or not (0: unloaded, loading or unloading).", "gauge", (m) => (m.status === "loaded" ? 1 : 0));
    fleetGauge("hermes_model_memory_bytes", "Memory the model takes loaded, as estimated before its loads.", "gauge", (m) => m.outline.memoryBytes);
    fleetGauge("hermes_model_loads_total", "Loads of the model.", "counter", (m) => m.counters.loads);
    fleetGauge("hermes_model_unloads_total", "Unloads of the model (idle, to make room, or asked for).", "counter", (m) => m.counters.unloads);
    fleetGauge("hermes_model_load_seconds_total", "Time spent loading the model.", "counter", (m) => m.counters.loadMs / 1000);
    for (const [name, help, value] of ENGINE_COUNTERS) perModel(name, help, "counter", value);
    for (const [name, help, value] of ENGINE_GAUGES) perModel(name, help, "gauge", value);
    for (const [name, help, value] of CACHE_COUNTERS) perModel(name, help, "counter", (s) => (s.promptCache ? value(s.promptCache) : undefined));
    for (const [name, help, kind, value] of CACHE_TIERS) {
      const options = {
        name,
        help,
        labelNames: ["model", "tier"],
        registers,
        collect(this: Counter | Gauge) {
          this.reset();
          for (const { id, stats } of loaded()) {
            for (const tier of ["ram", "disk"] as const) {
              const v = stats.promptCache && value(stats.promptCache, tier);
              if (v === undefined) continue;
              if (this instanceof Counter) this.inc({ model: id, tier }, v);
              else this.set({ model: id, tier }, v);
            }
          }
        },
      };
      if (kind === "counter") new Counter(options);
      else new Gauge(options);
    }
    for (const [name, help, counter] of KEY_COUNTERS) {
      new Counter({
        name,
        help,
        labelNames: ["key"],
        registers,
        collect() {
          this.reset();
          for (const key of keys()) this.inc({ key: key.name }, key.counters[counter]);
        },
      });
    }

    // the model-server protocol of the Gateway API Inference Extension, under vLLM's names and meanings
    perModel("vllm:num_requests_waiting", "Requests waiting for a slot.", "gauge", (s) => s.queued, ["model_name"]);
    perModel("vllm:num_requests_running", "Requests running on a slot.", "gauge", (s) => s.slots.busy, ["model_name"]);
    perModel("vllm:kv_cache_usage_perc", "KV cache usage: cells held by running requests over cells allocated (0 to 1).", "gauge", (s) => (s.kvCells.total > 0 ? s.kvCells.used / s.kvCells.total : 0), ["model_name"]);
    new Gauge({
      name: "vllm:cache_config_info",
      help: "The KV cache as a prefix-aware router should assume it: tokens per block and blocks allocated.",
      labelNames: ["model_name", "block_size", "num_gpu_blocks"],
      registers,
      collect() {
        this.reset();
        for (const { id, stats } of loaded()) this.set({ model_name: id, block_size: String(BLOCK_SIZE), num_gpu_blocks: String(Math.floor(stats.kvCells.total / BLOCK_SIZE)) }, 1);
      },
    });
    const histogram = (name: string, help: string, buckets: number[]): Histogram => new Histogram({ name, help, labelNames: ["model_name"], buckets, registers });
    const ttft = histogram("vllm:time_to_first_token_seconds", "Time from a request's arrival at the engine to its first token.", BUCKETS.ttft);
    const interToken = histogram("vllm:inter_token_latency_seconds", "Time between two successive tokens of a request.", BUCKETS.interToken);
    const e2e = histogram("vllm:e2e_request_latency_seconds", "Time from a request's arrival at the engine to its end.", BUCKETS.request);
    const queue = histogram("vllm:request_queue_time_seconds", "Time a request waited for a slot.", BUCKETS.request);
    const prefill = histogram("vllm:request_prefill_time_seconds", "Time from a request's admission to its first token.", BUCKETS.request);
    const decode = histogram("vllm:request_decode_time_seconds", "Time from a request's first token to its end.", BUCKETS.request);
    const promptTokens = new Counter({ name: "vllm:prompt_tokens_total", help: "Prompt tokens of the requests that ran.", labelNames: ["model_name"], registers });
    const generationTokens = new Counter({ name: "vllm:generation_tokens_total", help: "Tokens generated.", labelNames: ["model_name"], registers });
    const success = new Counter({ name: "vllm:request_success_total", help: "Requests that ended, by why.", labelNames: ["model_name", "finished_reason"], registers });
    const record = (id: string, r: RequestRecord): void => {
      const labels = { model_name: id };
      queue.observe(labels, r.queueMs / 1000);
      e2e.observe(labels, r.e2eMs / 1000);
      if (r.ttftMs !== undefined) ttft.observe(labels, r.ttftMs / 1000);
      if (r.prefillMs !== undefined) prefill.observe(labels, r.prefillMs / 1000);
      if (r.decodeMs !== undefined) decode.observe(labels, r.decodeMs / 1000);
      for (const gap of r.interTokenMs) interToken.observe(labels, gap / 1000);
      promptTokens.inc(labels, r.promptTokens);
      generationTokens.inc(labels, r.generatedTokens);
      success.inc({ ...labels, finished_reason: r.outcome === "aborted" ? "abort" : r.outcome === "failed" ? "error" : r.outcome }, 1);
    };
    const watch = (model: FleetModel): void => {
      model.served?.engine.observeRequests((r) => record(model.id, r));
    };
    for (const model of fleet.models) watch(model);
    fleet.onLoad(watch);
  }

  /** The exposition, and its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
