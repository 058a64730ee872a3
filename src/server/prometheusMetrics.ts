import type { EngineStats } from "../engine/types.js";
import type { KeyCounters } from "./KeyLimiter.js";

/** Per-key counters, labelled with the key's name. */
const KEY_METRICS: Array<[name: string, help: string, counter: keyof KeyCounters]> = [
  ["hermes_key_requests_total", "Requests accepted per API key.", "requests"],
  ["hermes_key_rate_limited_total", "Requests refused with 429 per API key.", "rateLimited"],
  ["hermes_key_prompt_tokens_total", "Prompt tokens used per API key.", "promptTokens"],
  ["hermes_key_completion_tokens_total", "Completion tokens used per API key.", "completionTokens"],
];

/** A served model as the metrics read it: its state, and its engine's statistics while it is loaded. */
export interface ModelMetricsSource {
  id: string;
  status: string;
  outline: { memoryBytes: number };
  counters: { loads: number; unloads: number; loadMs: number };
  served?: { engine: { stats(): EngineStats } } | undefined;
}

type Sample = [labels: string, value: number];
type Family = [name: string, type: "counter" | "gauge", help: string, samples: Sample[]];

/**
 * Every served model's state and, for the loaded ones, its engine's statistics, labelled with the model's id, and
 * each API key's counters, in Prometheus' text exposition format (what `GET /metrics` serves). A model's engine
 * counters start again from 0 when it is loaded again (Prometheus' counter reset).
 */
export function prometheusMetrics(models: readonly ModelMetricsSource[], keys: ReadonlyArray<{ name: string; counters: KeyCounters }> = []): string {
  const loaded = models.flatMap((model) => (model.served ? [{ label: `model="${labelValue(model.id)}"`, stats: model.served.engine.stats() }] : []));
  const each = (value: (stats: EngineStats) => number): Sample[] => loaded.map(({ label, stats }) => [`{${label}}`, value(stats)]);
  const families: Family[] = [
    ["hermes_model_loaded", "gauge", "Whether the model is loaded (1), or not (0: unloaded, loading or unloading).", models.map((m) => [`{model="${labelValue(m.id)}"}`, m.status === "loaded" ? 1 : 0])],
    ["hermes_model_memory_bytes", "gauge", "Memory the model takes loaded, as estimated before its loads.", models.map((m) => [`{model="${labelValue(m.id)}"}`, m.outline.memoryBytes])],
    ["hermes_model_loads_total", "counter", "Loads of the model.", models.map((m) => [`{model="${labelValue(m.id)}"}`, m.counters.loads])],
    ["hermes_model_unloads_total", "counter", "Unloads of the model (idle, to make room, or asked for).", models.map((m) => [`{model="${labelValue(m.id)}"}`, m.counters.unloads])],
    ["hermes_model_load_seconds_total", "counter", "Time spent loading the model.", models.map((m) => [`{model="${labelValue(m.id)}"}`, m.counters.loadMs / 1000])],
    ["hermes_requests_total", "counter", "Requests admitted to a slot.", each((s) => s.counters.requests)],
    ["hermes_prompt_tokens_total", "counter", "Prompt tokens of the admitted requests.", each((s) => s.counters.promptTokens)],
    ["hermes_prompt_tokens_cached_total", "counter", "Prompt tokens reused from a KV cache instead of evaluated.", each((s) => s.counters.cachedTokens)],
    ["hermes_prompt_tokens_copied_total", "counter", "Cached prompt tokens copied from another slot's KV cache.", each((s) => s.counters.copiedTokens)],
    ["hermes_prompt_tokens_restored_total", "counter", "Cached prompt tokens restored from the prompt cache.", each((s) => s.counters.restoredTokens)],
    ["hermes_prefill_tokens_total", "counter", "Prompt tokens evaluated.", each((s) => s.counters.prefillTokens)],
    ["hermes_generated_tokens_total", "counter", "Tokens sampled.", each((s) => s.counters.generatedTokens)],
    ["hermes_decode_steps_total", "counter", "Decode steps (llama.cpp batches).", each((s) => s.counters.steps)],
    ["hermes_decode_step_tokens_total", "counter", "Tokens evaluated in decode steps.", each((s) => s.counters.stepTokens)],
    ["hermes_decode_step_seconds_total", "counter", "Time spent in decode steps.", each((s) => s.counters.stepMs / 1000)],
    ["hermes_slots", "gauge", "Slots (requests decoded together).", each((s) => s.slots.total)],
    ["hermes_slots_prefill", "gauge", "Slots evaluating a prompt.", each((s) => s.slots.prefill)],
    ["hermes_slots_decode", "gauge", "Slots generating.", each((s) => s.slots.decode)],
    ["hermes_slots_backlogged", "gauge", "Generating slots whose client has stopped reading (decoded only when the others leave room).", each((s) => s.slots.backlogged)],
    ["hermes_requests_queued", "gauge", "Requests waiting for a slot.", each((s) => s.queued)],
  ];
  const cached = loaded.flatMap(({ label, stats }) => (stats.promptCache ? [{ label, cache: stats.promptCache }] : []));
  if (cached.length > 0) {
    type Cache = (typeof cached)[number]["cache"];
    const cacheEach = (value: (cache: Cache) => number): Sample[] => cached.map(({ label, cache }) => [`{${label}}`, value(cache)]);
    const tierEach = (value: (cache: Cache, tier: "ram" | "disk") => number | undefined): Sample[] =>
      cached.flatMap(({ label, cache }) =>
        (["ram", "disk"] as const).flatMap((tier): Sample[] => {
          const v = value(cache, tier);
          return v === undefined ? [] : [[`{${label},tier="${tier}"}`, v]];
        }),
      );
    families.push(
      ["hermes_prompt_cache_misses_total", "counter", "Requests the prompt cache had no state worth restoring for.", cacheEach((c) => c.misses)],
      ["hermes_prompt_cache_saves_total", "counter", "Slot states kept by the prompt cache.", cacheEach((c) => c.saves)],
      ["hermes_prompt_cache_evictions_total", "counter", "States moved out of a tier of the prompt cache to stay within its bound.", cacheEach((c) => c.evictions)],
      ["hermes_prompt_cache_rejected_total", "counter", "Kept states found unusable (truncated, corrupt, another model's) and removed.", cacheEach((c) => c.rejected)],
      ["hermes_prompt_cache_restore_seconds_total", "counter", "Time spent restoring states.", cacheEach((c) => c.restoreMs / 1000)],
      ["hermes_prompt_cache_save_seconds_total", "counter", "Time spent keeping states.", cacheEach((c) => c.saveMs / 1000)],
      ["hermes_prompt_cache_hits_total", "counter", "States restored, by the tier they came from.", tierEach((c, tier) => (tier === "disk" && !c.disk ? undefined : c.hits[tier]))],
      ["hermes_prompt_cache_entries", "gauge", "States held, by tier.", tierEach((c, tier) => (tier === "ram" ? c.ram : c.disk)?.entries)],
      ["hermes_prompt_cache_bytes", "gauge", "Bytes of states held, by tier.", tierEach((c, tier) => (tier === "ram" ? c.ram : c.disk)?.bytes)],
      ["hermes_prompt_cache_limit_bytes", "gauge", "Bound of a tier, bytes.", tierEach((c, tier) => (tier === "ram" ? c.ram : c.disk)?.limitBytes)],
    );
  }
  for (const [name, help, counter] of KEY_METRICS) {
    if (keys.length > 0) families.push([name, "counter", help, keys.map((key) => [`{key="${labelValue(key.name)}"}`, key.counters[counter]])]);
  }
  return families
    .filter(([, , , samples]) => samples.length > 0)
    .map(([name, type, help, samples]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n` + samples.map(([labels, value]) => `${name}${labels} ${value}\n`).join(""))
    .join("");
}

/** A label value escaped as the exposition format requires. */
function labelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}
