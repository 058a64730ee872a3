import type { RouteKind } from "./RouteKind.js";

/**
 * A valid body per route, cheap to serve: a few tokens. The model is filled in by the caller; chat carries both
 * token limits so one mutation can never leave it without a small one (chat's default is the rest of the context).
 */
export function validBody(kind: RouteKind, model: string): Record<string, unknown> | undefined {
  switch (kind) {
    case "chat":
      return { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 4, max_completion_tokens: 4 };
    case "completions":
      return { model, prompt: "Hi", max_tokens: 4 };
    case "embeddings":
      return { model, input: "Hi" };
    case "tokenize":
      return { content: "Hi" };
    case "detokenize":
      return { tokens: [1, 15043] };
    case "messages":
      return { model, max_tokens: 4, messages: [{ role: "user", content: "Hi" }] };
    case "responses":
      return { model, input: "Hi", max_output_tokens: 16 };
    case "ollama":
      return { model, messages: [{ role: "user", content: "Hi" }], stream: false, options: { num_predict: 4 } };
    default:
      return undefined;
  }
}
