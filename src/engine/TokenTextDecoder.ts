export type Detokenize = (tokens: number[], lastTokens: number[]) => string;

/** How many undecodable tokens may wait for the rest of a multi-byte character (UTF-8 needs at most 4 bytes). */
const MAX_PENDING = 4;
const CONTEXT_TOKENS = 4;

/**
 * Turns generated tokens into text pieces. A character whose UTF-8 bytes are spread over several byte tokens is
 * emitted only when complete, and each piece is decoded with the tokens before it, so SentencePiece's leading
 * spaces come out right.
 */
export class TokenTextDecoder {
  private readonly tokens: number[];
  private emittedUpTo: number;

  constructor(
    private readonly detokenize: Detokenize,
    context: readonly number[],
  ) {
    this.tokens = context.slice(-CONTEXT_TOKENS);
    this.emittedUpTo = this.tokens.length;
  }

  /** Adds one token; returns the text that is complete so far ("" while a character is unfinished). */
  push(token: number): string {
    this.tokens.push(token);
    const pending = this.tokens.slice(this.emittedUpTo);
    const text = this.detokenize(pending, this.tokens.slice(Math.max(0, this.emittedUpTo - CONTEXT_TOKENS), this.emittedUpTo));
    if (text.endsWith("\uFFFD") && pending.length < MAX_PENDING) return "";
    this.emittedUpTo = this.tokens.length;
    return text;
  }
}
