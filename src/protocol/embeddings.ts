import { z } from "zod";

/** `POST /embeddings`, fields in the order of OpenAI's reference. */
export const embeddingRequestSchema = z
  .object({
    /** Text, texts, token ids, or lists of token ids; at most 2048 inputs, none empty. */
    input: z.union([
      z.string().min(1, "an input must not be empty"),
      z.array(z.string().min(1, "an input must not be empty")).min(1).max(2048),
      z.array(z.number().int().min(0)).min(1),
      z.array(z.array(z.number().int().min(0)).min(1)).min(1).max(2048),
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
