import llamaTokenizer from "llama-tokenizer-js";

/** SentencePiece token types as GGUF stores them (llama.cpp `llama_token_type`). */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

export interface LlamaVocabulary {
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
}

/**
 * Meta's Llama-2 SentencePiece vocabulary (32000 pieces, original ids) as llama-tokenizer-js ships it, with the
 * scores and token types of the original `tokenizer.model`: 0 for `<unk>`, `<s>`, `</s>` and the 256 byte pieces,
 * −(id − 259) for ordinary pieces, and −1e9 for the pieces made only of `▁` (SentencePiece's whitespace pieces).
 */
export function llamaVocabulary(): LlamaVocabulary {
  const tokens = [...llamaTokenizer.vocabById];
  const scores = new Float32Array(tokens.length);
  const types = new Int32Array(tokens.length);
  tokens.forEach((piece, id) => {
    if (id === 0) {
      types[id] = TokenType.UNKNOWN;
    } else if (id <= 2) {
      types[id] = TokenType.CONTROL;
    } else if (id < 259) {
      types[id] = TokenType.BYTE;
    } else {
      types[id] = TokenType.NORMAL;
      scores[id] = /^▁+$/.test(piece) ? -1e9 : -(id - 259);
    }
  });
  return { tokens, scores, types };
}
