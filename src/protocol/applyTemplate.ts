import { z } from "zod";
import { chatCompletionRequestSchema } from "./requests.js";

/**
 * llama-server's `POST /apply-template`: a chat request's messages (and tools) as the model's template renders them,
 * without generating. `model` is optional (default: the first model served), as for `/tokenize`.
 */
export const applyTemplateRequestSchema = chatCompletionRequestSchema.extend({ model: z.string().optional() });

export type ApplyTemplateRequest = z.infer<typeof applyTemplateRequestSchema>;

export interface ApplyTemplateResponse {
  /** The text the model would complete (the BOS token, when the model uses one, is added as it is tokenized). */
  prompt: string;
}
