import { ModelNotFoundError, type ApiError } from "../errors/ApiError.js";

/**
 * An error as Ollama writes it, `{"error": "message"}`, with the status (and headers) the error has; an unknown
 * model in Ollama's words, which its clients show (`model 'x' not found`). Used for the JSON errors of the Ollama
 * routes and for a failure in their NDJSON streams.
 */
export function renderOllamaError(error: ApiError): { status: number; body: { error: string }; headers: Record<string, string> } {
  const message = error instanceof ModelNotFoundError ? `model '${error.model}' not found` : error.message;
  return { status: error.status, body: { error: message }, headers: error.headers };
}
