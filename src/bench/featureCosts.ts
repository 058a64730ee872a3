import { Engine } from "../engine/Engine.js";
import { neutralSampling } from "../engine/neutralSampling.js";
import type { GenerationRequest } from "../engine/types.js";
import { jsonCloser } from "../grammar/closeJson.js";
import { jsonObjectGrammar } from "../grammar/jsonSchemaGrammar.js";
import { closingCost } from "./closingCost.js";
import { percentile } from "./percentile.js";

/** Decode-step ms in this process (one stream: one token each), at the API's default sampling, per feature. */
export interface FeatureCosts {
  plain: number;
  /** `logprobs: true` (the sampled token's logprob only). */
  logprobs: number;
  /** `top_logprobs: 5`, no top-k cut. */
  topLogprobs: number;
  /** `response_format: json_object`: its grammar and closing check. */
  jsonGrammar: number;
  /** µs per sampled token that closing a `json_object` output costs at 4 000 tokens (CPU only, `closingCost`). */
  closingMicrosPerToken: number;
}

const SAMPLING = neutralSampling({ logitBias: new Map([[2, -100]]) });

/**
 * Generates `tokens` tokens `runs` times per variant, the variants alternating within a run, and takes the median
 * duration of the decode steps (the scheduler's own record of each llama.cpp batch with its sampling: no prompt,
 * no delivery to a reader, and a step is a step however the output ends).
 */
export async function featureCosts(modelPath: string, threads: number, tokens: number, runs: number): Promise<FeatureCosts> {
  const engine = await Engine.load({ modelPath, parallel: 1, contextSize: 1024, threads });
  try {
    const grammar = jsonObjectGrammar();
    // a closer per request: it carries its reading of one output from token to token
    const variants: Record<Exclude<keyof FeatureCosts, "closingMicrosPerToken">, () => Partial<GenerationRequest>> = {
      plain: () => ({}),
      logprobs: () => ({ logprobs: 0 }),
      topLogprobs: () => ({ logprobs: 5 }),
      jsonGrammar: () => ({ structured: { grammar, close: jsonCloser() } }),
    };
    const steps: Record<keyof typeof variants, number[]> = { plain: [], logprobs: [], topLogprobs: [], jsonGrammar: [] };
    let current: number[] = [];
    const stop = engine.observeSteps((step) => {
      if (step.prefill.length === 0 && step.decode.length === 1) current.push(step.ms);
    });
    try {
      for (let run = 0; run < runs; run++) {
        for (const [name, extra] of Object.entries(variants) as Array<[keyof typeof variants, () => Partial<GenerationRequest>]>) {
          current = steps[name];
          const request = { promptTokens: engine.promptTokens(`Run ${run}: once upon a time`, true), maxTokens: tokens, sampling: SAMPLING, stop: [], ...extra() };
          for await (const event of engine.generate(request)) void event;
        }
      }
    } finally {
      stop();
    }
    const median = (values: number[]): number => (values.length === 0 ? Number.NaN : percentile(values, 50));
    return {
      plain: median(steps.plain),
      logprobs: median(steps.logprobs),
      topLogprobs: median(steps.topLogprobs),
      jsonGrammar: median(steps.jsonGrammar),
      closingMicrosPerToken: closingCost(4_000, runs),
    };
  } finally {
    await engine.dispose();
  }
}
