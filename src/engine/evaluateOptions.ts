import { TokenBias, type LlamaGrammarEvaluationState, type LlamaModel, type SequenceEvaluateOptions, type Token } from "node-llama-cpp";
import type { SamplingParams } from "./types.js";

/**
 * The bias of a banned token (`logit_bias` -100): low enough that it is never sampled while any other token can be,
 * but finite. A grammar runs before the bias; had the bias made every token the grammar allows -Infinity (an
 * output whose grammar now allows only end of sequence, with `</s>` banned), llama.cpp would sample a token the
 * grammar rejects, and node-llama-cpp 3.22.1 loses that error in its batch dispatch: the generation, and with it
 * the decode loop, would wait forever. Finite, the least bad allowed token is taken instead.
 */
const BANNED = -1e6;

/**
 * node-llama-cpp's sampling options for one generation. `generated` is the list the generation appends its tokens
 * to (the window of the repetition penalties); `grammar` is the generation's own grammar state, if any.
 */
export function evaluateOptions(
  model: LlamaModel,
  sampling: SamplingParams,
  generated: readonly Token[],
  grammar?: LlamaGrammarEvaluationState,
): SequenceEvaluateOptions {
  const options: SequenceEvaluateOptions = {
    temperature: sampling.temperature,
    // "no cut" must reach node-llama-cpp as null: 0 becomes top_k(n_vocab), a full sort of the vocabulary on every
    // token (~2 ms for 32 000 entries, tripling the per-token time of small models), and undefined becomes its
    // defaults (top-k 40, top-p 0.95). Null leaves the sampler out of the chain.
    topK: sampling.topK > 0 ? sampling.topK : (null as unknown as number),
    topP: sampling.topP < 1 ? sampling.topP : (null as unknown as number),
    minP: sampling.minP,
    seed: sampling.seed,
    yieldEogToken: true,
    ...(grammar ? { grammarEvaluationState: grammar } : {}),
  };
  if (sampling.presencePenalty !== 0 || sampling.frequencyPenalty !== 0 || sampling.repetitionPenalty !== 1) {
    options.repeatPenalty = {
      punishTokens: () => generated as Token[],
      maxPunishTokens: 64,
      penalty: sampling.repetitionPenalty,
      presencePenalty: sampling.presencePenalty,
      frequencyPenalty: sampling.frequencyPenalty,
    };
  }
  if (sampling.logitBias.size > 0) {
    const bias = new TokenBias(model.tokenizer);
    // TokenBias.set() silently skips end-of-generation tokens, so `logit_bias` on </s> (ban it, or force it) would
    // be ignored; its internal map is written directly instead (node-llama-cpp is pinned; a test guards this).
    const biases = (bias as unknown as { _biases: Map<Token, number> })._biases;
    for (const [token, value] of sampling.logitBias) biases.set(token as Token, value <= -100 ? BANNED : value);
    options.tokenBias = bias;
  }
  return options;
}
