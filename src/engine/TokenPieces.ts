import type { LlamaModel, Token } from "node-llama-cpp";

/** A token as logprobs report it: its text alone and its exact bytes. */
export interface TokenPiece {
  text: string;
  bytes: number[];
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/**
 * The text and bytes of single tokens. A SentencePiece byte token (`<0xE4>`) is its one byte (its text is U+FFFD
 * when that byte alone is not a character); any other token is detokenized after a newline token, so a leading
 * space (`▁world` → " world") is kept, as it is in the generated text, and special tokens read as their text.
 */
export class TokenPieces {
  private readonly pieces: readonly unknown[];
  private readonly cache = new Map<number, TokenPiece>();

  constructor(private readonly model: LlamaModel) {
    const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
    this.pieces = Array.isArray(tokens) ? tokens : [];
  }

  piece(token: number): TokenPiece {
    let piece = this.cache.get(token);
    if (piece === undefined) {
      piece = this.decode(token);
      this.cache.set(token, piece);
    }
    return piece;
  }

  private decode(token: number): TokenPiece {
    const raw = this.pieces[token];
    const byte = typeof raw === "string" ? BYTE_PIECE.exec(raw) : null;
    if (byte) {
      const bytes = [Number.parseInt(byte[1]!, 16)];
      return { text: Buffer.from(bytes).toString("utf8"), bytes };
    }
    const newline = this.model.tokens.nl;
    const text = this.model.detokenize([token as Token], true, newline === null ? undefined : [newline]);
    return { text, bytes: [...Buffer.from(text, "utf8")] };
  }
}
