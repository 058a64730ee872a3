/** Token id of `</s>` in the Llama-2 vocabulary: banned (-100) so a stream runs its full `max_tokens`. */
const EOS = "2";

/** A streamed completion of exactly `maxTokens` tokens (end of sequence banned), cheap to prefill. */
export function streamedCompletion(model: string, maxTokens: number, prompt = "Once upon a time"): Record<string, unknown> {
  return { model, prompt, max_tokens: maxTokens, stream: true, logit_bias: { [EOS]: -100 } };
}
