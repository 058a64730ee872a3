import { pythonRstrip } from "./pythonStrip.js";

/** Text to token ids, without BOS (the harness never adds one); in this process or from a server. */
export type Encode = (text: string) => number[] | Promise<number[]>;

/**
 * The harness's `_encode_pair`: whitespace at the end of the context moves to the start of the continuation; the
 * context and context + continuation are tokenized separately and the continuation's tokens are the tail of the
 * latter beyond the context's length. The model then reads `context` followed by `continuation` (not the joint
 * tokenization), so every choice of a document shares the context's tokens.
 */
export async function encodePair(encode: Encode, context: string, continuation: string): Promise<{ context: number[]; continuation: number[] }> {
  const trailing = context.length - pythonRstrip(context).length;
  if (trailing > 0) {
    continuation = context.slice(context.length - trailing) + continuation;
    context = context.slice(0, context.length - trailing);
  }
  const [whole, contextTokens] = await Promise.all([encode(context + continuation), encode(context)]);
  const continuationTokens = whole.slice(contextTokens.length);
  if (continuationTokens.length === 0) throw new Error(`the continuation ${JSON.stringify(continuation)} has no tokens after its context`);
  return { context: contextTokens, continuation: continuationTokens };
}
