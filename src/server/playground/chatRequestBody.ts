/** A turn of the conversation the page keeps. */
export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
}

/** The page's settings, as its form holds them (numbers as typed: empty means the server's default). */
export interface PlaygroundSettings {
  model: string;
  system: string;
  temperature: string;
  topP: string;
  topK: string;
  maxTokens: string;
  seed: string;
  format: "text" | "json_object" | "json_schema";
  /** The JSON schema's text, for `json_schema`. */
  schema: string;
  /** Ask for each token's logprob and its 5 most likely alternatives (they cost time per token). */
  logprobs: boolean;
}

export type RequestBody = { body: Record<string, unknown> } | { error: string; field: keyof PlaygroundSettings };

/** The sampling fields: the request's name, the page's label, and whether only integers fit. */
const NUMBERS: ReadonlyArray<{ field: keyof PlaygroundSettings; param: string; label: string; integer: boolean }> = [
  { field: "temperature", param: "temperature", label: "Temperature", integer: false },
  { field: "topP", param: "top_p", label: "Top P", integer: false },
  { field: "topK", param: "top_k", label: "Top K", integer: true },
  { field: "maxTokens", param: "max_tokens", label: "Max tokens", integer: true },
  { field: "seed", param: "seed", label: "Seed", integer: true },
];

/**
 * The streamed chat completion request of the page's settings and conversation, or the setting that cannot be
 * sent (not a number, a schema that does not parse). Ranges are the server's to check: its 400 names the field.
 */
export function chatRequestBody(settings: PlaygroundSettings, turns: readonly ChatTurn[]): RequestBody {
  const body: Record<string, unknown> = {
    model: settings.model,
    messages: [...(settings.system.trim() === "" ? [] : [{ role: "system", content: settings.system }]), ...turns],
    stream: true,
    stream_options: { include_usage: true },
  };
  if (settings.logprobs) Object.assign(body, { logprobs: true, top_logprobs: 5 });
  for (const { field, param, label, integer } of NUMBERS) {
    const text = String(settings[field]).trim();
    if (text === "") continue;
    const value = Number(text);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) return { error: `${label} must be ${integer ? "a whole number" : "a number"}.`, field };
    body[param] = value;
  }
  if (settings.format === "json_object") body.response_format = { type: "json_object" };
  if (settings.format === "json_schema") {
    let schema: unknown;
    try {
      schema = JSON.parse(settings.schema);
    } catch (error) {
      return { error: `The JSON schema does not parse: ${(error as Error).message}`, field: "schema" };
    }
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return { error: "The JSON schema must be a JSON object.", field: "schema" };
    body.response_format = { type: "json_schema", json_schema: { name: "playground", schema, strict: true } };
  }
  return { body };
}
