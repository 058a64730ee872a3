import { fillerText } from "./fillerText.js";
import { REQUEST_DEFAULTS } from "./requestDefaults.js";
import type { ServingTarget } from "./ServingTarget.js";
import { streamRequest } from "./streamRequest.js";

/** One measurement of `streams` streams decoding at once. */
export interface ConcurrentSample {
  /** Aggregate completion tokens/s while every stream decodes. */
  tokensPerSecond: number;
  /** Times between consecutive text chunks of a stream, over all streams (ms). */
  gaps: number[];
  /** Decode steps and tokens sampled in them, from hermes' counters; absent for a peer. */
  steps?: { steps: number; tokens: number };
}

/**
 * Starts `streams` completions of `tokens` tokens at once (distinct prompts and seeds, the same for every target in
 * a run) and measures the steady state: the window in which every stream is decoding, from the last first token to
 * the first end.
 */
export async function concurrentStreams(target: ServingTarget, run: number, streams: number, tokens: number): Promise<ConcurrentSample> {
  const before = await target.counters?.();
  const timings = await Promise.all(
    Array.from({ length: streams }, (_, s) =>
      streamRequest(
        `${target.apiUrl}/completions`,
        {
          ...REQUEST_DEFAULTS,
          model: target.modelId,
          prompt: `Run ${run}, stream ${s}: ${fillerText(8, s)}`,
          max_tokens: tokens,
          seed: run * 1000 + streams * 10 + s,
        },
        target.requestOptions,
      ),
    ),
  );
  const after = await target.counters?.();
  const start = Math.max(...timings.map((t) => t.textAt[0]!));
  const end = Math.min(...timings.map((t) => t.textAt.at(-1)!));
  const decoded = timings.reduce((sum, t) => {
    const chunks = t.textAt.filter((at) => at > start && at <= end).length;
    return sum + (chunks * t.completionTokens) / t.textAt.length; // a chunk is a token, or a few for split characters
  }, 0);
  const gaps = timings.flatMap((t) => t.textAt.slice(1).map((at, i) => at - t.textAt[i]!));
  const sample: ConcurrentSample = { tokensPerSecond: (1000 * decoded) / (end - start), gaps };
  if (before && after) sample.steps = { steps: after.steps! - before.steps!, tokens: after.generatedTokens! - before.generatedTokens! };
  return sample;
}
