/** The routes the fuzz covers, by kind (the same kind under each API prefix is one route for grouping). */
export type RouteKind = "chat" | "completions" | "embeddings" | "models" | "model" | "tokenize" | "detokenize" | "health" | "metrics" | "unknown";
