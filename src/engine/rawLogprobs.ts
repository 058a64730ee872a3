import type { ControlledEvaluateInputItem, ControlledEvaluateIndexOutput, Token } from "node-llama-cpp";

/**
 * The `controlledEvaluate` item that asks, at a position, for what the raw model's logprob of `target` needs: the
 * target's logit, the argmax's (the greedy token, selected at temperature 0), the `top` most likely tokens' and the
 * normaliser Σ exp(l − l_max); never the whole vocabulary. Read the answer with `readRawLogprobs`.
 */
export function rawLogprobRequest(token: Token, target: Token, top = 0): ControlledEvaluateInputItem {
  const filter = { tokens: [target], includeSelected: true, ...(top > 1 ? { includeTop: top } : {}) };
  return [token, { generateNext: { token: true, totalLogitWeight: true, logits: { filter }, options: { temperature: 0 } } }];
}

/** One position's answer: logprob = l − l_max − ln Σ exp(l − l_max), for the tokens it returned logits of. */
export function readRawLogprobs(output: ControlledEvaluateIndexOutput | undefined): {
  greedy: Token;
  logprob(token: Token): number;
  /** The `count` most likely tokens with their logprobs, most likely first. */
  top(count: number): Array<[Token, number]>;
} {
  const next = output?.next;
  const logits = next?.logits;
  const greedy = next?.token;
  if (greedy == null || logits === undefined || next?.totalLogitWeight === undefined) throw new Error("the engine returned no logits");
  const normaliser = logits.get(greedy)! + Math.log(next.totalLogitWeight);
  return {
    greedy,
    logprob: (token) => logits.get(token)! - normaliser,
    top: (count) =>
      [...logits]
        .sort((a, b) => b[1] - a[1])
        .slice(0, count)
        .map(([token, logit]): [Token, number] => [token, logit - normaliser]),
  };
}
