import type { StreamOptions } from "./streamRequest.js";

/**
 * A server the serving scenarios run against: hermes as the bench starts it, or a peer already running (llama-server,
 * vLLM, Ollama, another hermes) reached only through its OpenAI-compatible API.
 */
export interface ServingTarget {
  /** Base URL of the API, e.g. http://127.0.0.1:8080/v1 */
  readonly apiUrl: string;
  /** The model id requests name. */
  readonly modelId: string;
  /** The key and bounds of every request to it. */
  readonly requestOptions: StreamOptions;
  /** hermes' scheduler counters (`/health`); a peer has none, and the figures made of them are absent for it. */
  counters?(): Promise<Record<string, number>>;
}
