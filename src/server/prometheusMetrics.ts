import type { EngineStats } from "../engine/types.js";

/** The engine's statistics in Prometheus' text exposition format (what `GET /metrics` serves). */
export function prometheusMetrics(stats: EngineStats): string {
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
    ["hermes_requests_queued", "gauge", "Requests waiting for a slot.", stats.queued],
  ];
  return metrics.map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`).join("");
}
