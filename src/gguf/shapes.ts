/** The architecture hyper-parameters of a Llama-family model. */
export interface LlamaShape {
  embedding: number;
  layers: number;
  heads: number;
  kvHeads: number;
  feedForward: number;
  contextLength: number;
  rmsEpsilon: number;
}

/**
 * Shapes the synthesizer knows: `tiny` for tests, `1b` = TinyLlama-1.1B, `7b` and `13b` = Llama-2's.
 * A generated model of a real shape costs the same memory traffic and arithmetic per token as the real model.
 */
export const llamaShapes = {
  tiny: { embedding: 64, layers: 2, heads: 4, kvHeads: 4, feedForward: 192, contextLength: 4096, rmsEpsilon: 1e-5 },
  "1b": { embedding: 2048, layers: 22, heads: 32, kvHeads: 4, feedForward: 5632, contextLength: 2048, rmsEpsilon: 1e-5 },
  "7b": { embedding: 4096, layers: 32, heads: 32, kvHeads: 32, feedForward: 11008, contextLength: 4096, rmsEpsilon: 1e-5 },
  "13b": { embedding: 5120, layers: 40, heads: 40, kvHeads: 40, feedForward: 13824, contextLength: 4096, rmsEpsilon: 1e-5 },
} as const satisfies Record<string, LlamaShape>;

export type LlamaShapeName = keyof typeof llamaShapes;
