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
  const engine = metrics.map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`);
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
