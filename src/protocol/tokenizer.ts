import { z } from "zod";
import { LIMITS } from "./limits.js";

/**
 * llama-server's tokenizer endpoints. `model` is optional (default: the first model served); when given it must name one.
 * `content` longer than the context could hold is refused by the service (`assertTextCanFit`).
 */
export const tokenizeRequestSchema = z
  .object({
    content: z.string(),
    /** Prepend BOS (when the model uses one). */
    add_special: z.boolean().nullish(),
    /** Read `<s>`-style text in `content` as special tokens (llama-server's default: true). */
    parse_special: z.boolean().nullish(),
    /** Return `{id, piece}` per token: the piece as text, or as its bytes when they are not valid UTF-8 alone. */
    with_pieces: z.boolean().nullish(),
    model: z.string().optional(),
  })
  .loose();

export const detokenizeRequestSchema = z
  .object({
    tokens: z.array(z.number().int().min(0)).max(LIMITS.detokenizeTokens),
    model: z.string().optional(),
  })
  .loose();

export type TokenizeRequest = z.infer<typeof tokenizeRequestSchema>;
export type DetokenizeRequest = z.infer<typeof detokenizeRequestSchema>;

export interface TokenizeResponse {
  tokens: number[] | Array<{ id: number; piece: string | number[] }>;
}

export interface DetokenizeResponse {
  content: string;
}
