/**
 * Response bodies of Ollama's API as this server writes them, fields as Ollama's `api/types.go` names them (there is
 * no published schema: `test/ollama.test.ts` checks them against the official `ollama` client's TypeScript types).
 * Durations are nanoseconds; `created_at` and the model times are RFC 3339.
 */

/** The figures of a finished generation, all measured (`serving/ollamaChunks.ts` says how). */
export interface OllamaStats {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

/** Why a generation ended: Ollama's "stop" and "length", or its output withheld by the content filter. */
export type OllamaDoneReason = "stop" | "length" | "content_filter";

export interface OllamaToolCall {
  function: { name: string; arguments: Record<string, unknown> };
}

export interface OllamaMessage {
  role: "assistant";
  content: string;
  tool_calls?: OllamaToolCall[];
}

/** A streamed chat's object: a piece of the answer, or the last with why it ended and the figures. */
export type OllamaChatChunk = { model: string; created_at: string; message: OllamaMessage } & (
  | { done: false }
  | ({ done: true; done_reason: OllamaDoneReason } & OllamaStats)
);

/** A streamed generate's object; the last has the conversation's tokens (`context`) unless the prompt was raw. */
export type OllamaGenerateChunk = { model: string; created_at: string; response: string } & (
  | { done: false }
  | ({ done: true; done_reason: OllamaDoneReason; context?: number[] } & OllamaStats)
);

/** The answer to a request without messages (or prompt): the model loaded or unloaded, nothing generated. */
export type OllamaLoaded<Body extends { message: OllamaMessage } | { response: string }> = { model: string; created_at: string } & Body & {
  done: true;
  done_reason: "load" | "unload";
};

export interface OllamaModelDetails {
  parent_model: string;
  format: "gguf";
  family: string;
  families: string[];
  parameter_size: string;
  quantization_level: string;
}

/** A model of `/api/tags`; `/api/ps` adds its memory and when it expires. */
export interface OllamaModelEntry {
  name: string;
  model: string;
  modified_at: string;
  size: number;
  digest: string;
  details: OllamaModelDetails;
}

export interface OllamaRunningModel extends OllamaModelEntry {
  expires_at: string;
  size_vram: number;
  context_length: number;
}

export interface OllamaShowResponse {
  license: string;
  modelfile: string;
  parameters: string;
  template: string;
  system: string;
  details: OllamaModelDetails;
  model_info: Record<string, unknown>;
  capabilities: string[];
  modified_at: string;
}

export interface OllamaEmbedResponse {
  model: string;
  embeddings: number[][];
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
}
