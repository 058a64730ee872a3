import { Engine } from "../engine/Engine.js";
import type { GenerationRequest, SamplingParams } from "../engine/types.js";
import { jsonObjectGrammar } from "../grammar/jsonSchemaGrammar.js";
import { percentile } from "./percentile.js";

/** Decode ms per token in this process, at the API's default sampling, plain and with each per-token feature. */
export interface FeatureCosts {
  plain: number;
  /** `logprobs: true` (the sampled token's logprob only). */
  logprobs: number;
  /** `top_logprobs: 5`, no top-k cut. */
  topLogprobs: number;
  /** `response_format: json_object`'s grammar. */
  jsonGrammar: number;
}

const SAMPLING: SamplingParams = {
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  seed: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  logitBias: new Map([[2, -100]]),
};

/**
 * Measures each variant `runs` times, alternating them within a run, over `tokens` generated tokens; the medians.
 * The time between the first and the last token, so the prompt does not count.
 */
export async function featureCosts(modelPath: string, threads: number, tokens: number, runs: number): Promise<FeatureCosts> {
  const engine = await Engine.load({ modelPath, parallel: 1, contextSize: 1024, threads });
  try {
    const variants: Record<keyof FeatureCosts, Partial<GenerationRequest>> = {
      plain: {},
      logprobs: { logprobs: 0 },
      topLogprobs: { logprobs: 5 },
      // the closing check reports the text as whole, so every counted token is one the grammar let the model
      // sample (a real closing would count closing tokens that are never decoded)
      jsonGrammar: { structured: { grammar: jsonObjectGrammar(), close: () => "" } },
    };
    const times: Record<keyof FeatureCosts, number[]> = { plain: [], logprobs: [], topLogprobs: [], jsonGrammar: [] };
    for (let run = 0; run < runs; run++) {
      for (const [name, extra] of Object.entries(variants) as Array<[keyof FeatureCosts, Partial<GenerationRequest>]>) {
        let first: number | undefined;
        let last = 0;
        let generated = 0;
        const request = { promptTokens: engine.promptTokens(`Run ${run}: once upon a time`, true), maxTokens: tokens, sampling: SAMPLING, stop: [], ...extra };
        for await (const event of engine.generate(request)) {
          if (event.type === "text") {
            last = performance.now();
            first ??= last;
          } else if (event.type === "done") {
            generated = event.usage.completionTokens;
          }
        }
        if (first !== undefined && generated > 1) times[name].push((last - first) / (generated - 1));
      }
    }
    const median = (values: number[]): number => (values.length === 0 ? Number.NaN : percentile(values, 50));
    return { plain: median(times.plain), logprobs: median(times.logprobs), topLogprobs: median(times.topLogprobs), jsonGrammar: median(times.jsonGrammar) };
  } finally {
    await engine.dispose();
  }
}
