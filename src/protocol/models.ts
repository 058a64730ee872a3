import { z } from "zod";
import { LIMITS } from "./limits.js";

/** `GET /models` entries: OpenAI's model object plus the hosted API's `context_size`. */
export interface ModelCard {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  context_size: number;
  title: string;
  description: string;
  /**
   * Whether the model is in memory, as llama-server's router lists its models: a server of several models loads
   * them on demand and unloads the least recently used; `progress` (0..1) while it loads.
   */
  status?: { value: "loaded" | "loading" | "unloaded" | "unloading"; progress?: number };
}

export interface ModelList {
  object: "list";
  data: ModelCard[];
}

/** `POST /models/load` and `/models/unload`, llama-server's router routes: the model to load or unload. */
export const modelActionRequestSchema = z.object({ model: z.string().min(1).max(LIMITS.modelNameChars) }).loose();

export type ModelActionRequest = z.infer<typeof modelActionRequestSchema>;
