import type { EngineStats } from "../engine/types.js";
import type { KeyCounters } from "./KeyLimiter.js";

/** Per-key counters, labelled with the key's name. */
const KEY_METRICS: Array<[name: string, help: string, counter: keyof KeyCounters]> = [
  ["hermes_key_requests_total", "Requests accepted per API key.", "requests"],
  ["hermes_key_rate_limited_total", "Requests refused with 429 per API key.", "rateLimited"],
  ["hermes_key_prompt_tokens_total", "Prompt tokens used per API key.", "promptTokens"],
  ["hermes_key_completion_tokens_total", "Completion tokens used per API key.", "completionTokens"],
];

/**
 * The engine's statistics, and each API key's counters, in Prometheus' text exposition format (what `GET /metrics`
 * serves).
 */
export function prometheusMetrics(stats: EngineStats, keys: ReadonlyArray<{ name: string; counters: KeyCounters }> = []): string {
  const c = stats.counters;
  const metrics: Array<[name: string, type: "counter" | "gauge", help: string, value: number]> = [
    ["hermes_requests_total", "counter", "Requests admitted to a slot.", c.requests],
    ["hermes_prompt_tokens_total", "counter", "Prompt tokens of the admitted requests.", c.promptTokens],
    ["hermes_prompt_tokens_cached_total", "counter", "Prompt tokens reused from a KV cache instead of evaluated.", c.cachedTokens],
    ["hermes_prompt_tokens_copied_total", "counter", "Cached prompt tokens copied from another slot's KV cache.", c.copiedTokens],
    ["hermes_prompt_tokens_restored_total", "counter", "Cached prompt tokens restored from the prompt cache.", c.restoredTokens],
    ["hermes_prefill_tokens_total", "counter", "Prompt tokens evaluated.", c.prefillTokens],
    ["hermes_generated_tokens_total", "counter", "Tokens sampled.", c.generatedTokens],
    ["hermes_decode_steps_total", "counter", "Decode steps (llama.cpp batches).", c.steps],
    ["hermes_decode_step_tokens_total", "counter", "Tokens evaluated in decode steps.", c.stepTokens],
    ["hermes_decode_step_seconds_total", "counter", "Time spent in decode steps.", c.stepMs / 1000],
    ["hermes_slots", "gauge", "Slots (requests decoded together).", stats.slots.total],
    ["hermes_slots_prefill", "gauge", "Slots evaluating a prompt.", stats.slots.prefill],
    ["hermes_slots_decode", "gauge", "Slots generating.", stats.slots.decode],
    ["hermes_slots_backlogged", "gauge", "Generating slots whose client has stopped reading (decoded only when the others leave room).", stats.slots.backlogged],
    ["hermes_requests_queued", "gauge", "Requests waiting for a slot.", stats.queued],
  ];
  const cache = stats.promptCache;
  if (cache !== undefined) {
    metrics.push(
      ["hermes_prompt_cache_misses_total", "counter", "Requests the prompt cache had no state worth restoring for.", cache.misses],
      ["hermes_prompt_cache_saves_total", "counter", "Slot states kept by the prompt cache.", cache.saves],
      ["hermes_prompt_cache_evictions_total", "counter", "States moved out of a tier of the prompt cache to stay within its bound.", cache.evictions],
      ["hermes_prompt_cache_rejected_total", "counter", "Kept states found unusable (truncated, corrupt, another model's) and removed.", cache.rejected],
      ["hermes_prompt_cache_restore_seconds_total", "counter", "Time spent restoring states.", cache.restoreMs / 1000],
      ["hermes_prompt_cache_save_seconds_total", "counter", "Time spent keeping states.", cache.saveMs / 1000],
    );
  }
  const engine = metrics.map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`);
  if (cache !== undefined) {
    const tiers = { ram: cache.ram, ...(cache.disk ? { disk: cache.disk } : {}) };
    const labelled: Array<[name: string, type: "counter" | "gauge", help: string, value: (tier: keyof typeof tiers) => number]> = [
      ["hermes_prompt_cache_hits_total", "counter", "States restored, by the tier they came from.", (tier) => cache.hits[tier]],
      ["hermes_prompt_cache_entries", "gauge", "States held, by tier.", (tier) => tiers[tier]!.entries],
      ["hermes_prompt_cache_bytes", "gauge", "Bytes of states held, by tier.", (tier) => tiers[tier]!.bytes],
      ["hermes_prompt_cache_limit_bytes", "gauge", "Bound of a tier, bytes.", (tier) => tiers[tier]!.limitBytes],
    ];
    for (const [name, type, help, value] of labelled) {
      engine.push(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n` + (Object.keys(tiers) as Array<keyof typeof tiers>).map((tier) => `${name}{tier="${tier}"} ${value(tier)}\n`).join(""));
    }
  }
  const perKey =
    keys.length === 0
      ? []
      : KEY_METRICS.map(
          ([name, help, counter]) =>
            `# HELP ${name} ${help}\n# TYPE ${name} counter\n` + keys.map((key) => `${name}{key="${labelValue(key.name)}"} ${key.counters[counter]}\n`).join(""),
        );
  return [...engine, ...perKey].join("");
}

/** A label value escaped as the exposition format requires. */
function labelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}
