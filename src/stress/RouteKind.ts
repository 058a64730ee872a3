/**
 * The routes the fuzz covers, by kind (the same kind under each API prefix is one route for grouping): OpenAI's,
 * Anthropic's `messages`, OpenAI's `responses` and Ollama's `ollama` (`/api/chat`).
 */
export type RouteKind =
  | "chat"
  | "completions"
  | "embeddings"
  | "models"
  | "model"
  | "tokenize"
  | "detokenize"
  | "health"
  | "metrics"
  | "messages"
  | "responses"
  | "ollama"
  | "unknown";
