/** Token id of `</s>` in the Llama-2 vocabulary: banned (-100) so a stream runs its full `max_tokens`. */
const EOS = "2";

/** A streamed completion of exactly `maxTokens` tokens (end of sequence banned), cheap to prefill. */
export function streamedCompletion(model: string, maxTokens: number, prompt = "Once upon a time"): Record<string, unknown> {
  return { model, prompt, max_tokens: maxTokens, stream: true, logit_bias: { [EOS]: -100 } };
}

/**
 * A prompt of ~3000 tokens whose first token differs from call to call: no slot's cache holds a prefix of it, so
 * it is evaluated in full (many prefill steps) and a cut lands in its prefill.
 */
export function longPrompt(unique: number): string {
  return `${unique} ${"the cat sat on the mat. ".repeat(420)}`;
}

/** The text-carrying events of a completions stream. */
export function textEvents(events: readonly string[]): number[] {
  const indexes: number[] = [];
  events.forEach((event, index) => {
    if (event === "[DONE]") return;
    try {
      const chunk = JSON.parse(event) as { choices?: Array<{ text?: string }> };
      if (chunk.choices?.[0]?.text) indexes.push(index);
    } catch {
      // a malformed event is the framing check's business, not the rate's
    }
  });
  return indexes;
}
