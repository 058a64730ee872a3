import type { SamplingParams } from "./types.js";

/**
 * The API's default sampling in the engine's terms (temperature 1, no top-k / top-p / min-p cut, no penalty, no
 * bias, seed 1), with `overrides`: what measurements and tests run when they mean "sampling as a client gets it".
 */
export function neutralSampling(overrides: Partial<SamplingParams> = {}): SamplingParams {
  return {
    temperature: 1,
    topK: 0,
    topP: 1,
    minP: 0,
    seed: 1,
    presencePenalty: 0,
    frequencyPenalty: 0,
    repetitionPenalty: 1,
    logitBias: new Map(),
    ...overrides,
  };
}
