import { z } from "zod";
import { LIMITS } from "./limits.js";

const text = z.string().min(1, "an input must not be empty").max(LIMITS.embeddingInputChars);

/** `POST /embeddings`, fields in the order of OpenAI's reference. */
export const embeddingRequestSchema = z
  .object({
    /** Text, texts, token ids, or lists of token ids; at most 2048 inputs, none empty, each text bounded. */
    input: z.union([
      text,
      z.array(text).min(1).max(LIMITS.embeddingInputs),
      z.array(z.number().int().min(0)).min(1),
      z.array(z.array(z.number().int().min(0)).min(1)).min(1).max(LIMITS.embeddingInputs),
    ]),
    model: z.string(),
    encoding_format: z.enum(["float", "base64"]).nullish(),
    dimensions: z.number().int().min(1).nullish(),
    user: z.string().nullish(),
  })
  .loose();

export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

export interface EmbeddingResponse {
  object: "list";
  data: Array<{ object: "embedding"; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
