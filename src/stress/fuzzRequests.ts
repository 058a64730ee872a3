import fc from "fast-check";
import { hostileJson } from "./hostileJson.js";
import { hostileSchema } from "./hostileSchema.js";
import { hostileString } from "./hostileString.js";
import { mutatedBodyText } from "./mutatedBodyText.js";
import type { RawJson } from "./rawJson.js";
import { validBody } from "./validBody.js";
import type { RouteKind } from "./RouteKind.js";

/** One generated request, kept as data so fast-check can shrink it and a report can show it. */
export interface FuzzRequest {
  kind: RouteKind;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body as text, or as bytes when it is not valid UTF-8. */
  body?: string | Uint8Array;
  /** For a mutated valid body: the fields set (to raw JSON) or deleted (undefined), in order. */
  mutations?: Array<[field: string, raw: RawJson | undefined]>;
}

const PREFIXES = ["/v1", "/v3/openai", "/openai/v1"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

/** The fields each JSON route's mutations pick from. */
const FIELDS: Partial<Record<RouteKind, string[]>> = {
  chat: [
    "model", "messages", "n", "max_tokens", "max_completion_tokens", "logprobs", "top_logprobs", "logit_bias", "temperature", "top_p", "top_k",
    "min_p", "seed", "stop", "stream", "stream_options", "presence_penalty", "frequency_penalty", "repetition_penalty", "response_format",
    "tools", "tool_choice", "parallel_tool_calls", "user",
  ],
  completions: [
    "model", "prompt", "n", "best_of", "max_tokens", "logprobs", "echo", "logit_bias", "temperature", "top_p", "top_k", "seed", "stop",
    "stream", "stream_options", "suffix", "presence_penalty", "frequency_penalty",
  ],
  embeddings: ["model", "input", "encoding_format", "dimensions", "user"],
  tokenize: ["content", "add_special", "parse_special", "with_pieces"],
  detokenize: ["tokens"],
  // the other dialects: their requests as they write them, never `stream` (their streams are framed their own way)
  // nor the length bound of those whose default is the whole context (Responses' max_output_tokens, Ollama's
  // options.num_predict), as chat always keeps one of its two: a legitimately long answer is no violation
  messages: ["model", "messages", "max_tokens", "system", "temperature", "top_p", "top_k", "stop_sequences", "tools", "tool_choice", "metadata"],
  responses: ["model", "input", "instructions", "temperature", "top_p", "tools", "tool_choice", "text", "store", "metadata"],
  ollama: ["model", "messages", "format", "tools", "keep_alive"],
};

/** Values that are valid in shape but hostile in content, for the fields where that matters. */
function fieldValue(field: string): fc.Arbitrary<RawJson> {
  const tokenIds = fc.array(fc.oneof(fc.integer({ min: -5, max: 40_000 }), fc.constantFrom(2 ** 31, 1e308, -0.5)), { maxLength: 200 }).map((ids) => JSON.stringify(ids));
  const special: Record<string, fc.Arbitrary<RawJson>> = {
    messages: fc.oneof(
      fc.array(fc.record({ role: fc.constantFrom("user", "system", "assistant", "tool", "function", "developer", "x"), content: fc.oneof(fc.string(), fc.constant(null), fc.constant([{ type: "image_url" }])) }), { maxLength: 6 }).map((m) => JSON.stringify(m)),
      hostileString.map((text) => `[{"role":"user","content":${text}}]`),
    ),
    logit_bias: fc.oneof(
      fc.dictionary(fc.oneof(fc.integer({ min: -10, max: 40_000 }).map(String), fc.string({ maxLength: 6 })), fc.oneof(fc.double(), fc.integer())).map((bias) => JSON.stringify(bias)),
      fc.integer({ min: 1, max: 100_000 }).map((count) => JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [String(i), -100])))),
    ),
    response_format: fc.oneof(
      hostileSchema.map((schema) => `{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":${schema}}}`),
      hostileSchema.map((schema) => `{"type":"json_object","schema":${schema}}`),
    ),
    tools: hostileSchema.map((schema) => `[{"type":"function","function":{"name":"f","parameters":${schema}}}]`),
    tool_choice: fc.constantFrom('"required"', '"auto"', '"none"', '{"type":"function","function":{"name":"f"}}', '{"type":"function","function":{"name":"nope"}}'),
    prompt: fc.oneof(tokenIds, fc.array(tokenIds, { maxLength: 4 }).map((lists) => `[${lists.join(",")}]`), fc.array(hostileString, { maxLength: 4 }).map((texts) => `[${texts.join(",")}]`)),
    input: fc.oneof(tokenIds, fc.array(tokenIds, { maxLength: 4 }).map((lists) => `[${lists.join(",")}]`)),
    tokens: tokenIds,
    stop: fc.array(hostileString, { maxLength: 6 }).map((texts) => `[${texts.join(",")}]`),
    stop_sequences: fc.array(hostileString, { maxLength: 6 }).map((texts) => `[${texts.join(",")}]`),
    format: fc.oneof(fc.constant('"json"'), hostileSchema),
    text: hostileSchema.map((schema) => `{"format":{"type":"json_schema","name":"x","schema":${schema}}}`),
  };
  return special[field] ? fc.oneof({ arbitrary: special[field], weight: 2 }, { arbitrary: hostileJson, weight: 1 }) : hostileJson;
}

/** A valid body with 1–3 fields set to hostile raw JSON or deleted. */
function mutatedBody(kind: RouteKind, model: string): fc.Arbitrary<{ body: string; mutations: Array<[string, RawJson | undefined]> }> {
  const fields = FIELDS[kind]!;
  const mutation = fc.constantFrom(...fields).chain((field) => fc.tuple(fc.constant(field), fc.option(fieldValue(field), { freq: 8, nil: undefined })));
  return fc
    .uniqueArray(mutation, { minLength: 1, maxLength: 3, selector: ([field]) => field })
    .filter((mutations) => !(mutations.some(([f]) => f === "max_tokens") && mutations.some(([f]) => f === "max_completion_tokens")))
    .map((mutations) => ({ body: mutatedBodyText(kind, model, mutations), mutations }));
}

/** Bodies that are not JSON at all: random bytes, a valid body cut short, invalid UTF-8 inside a string. */
function brokenBody(kind: RouteKind, model: string): fc.Arbitrary<string | Uint8Array> {
  const valid = JSON.stringify(validBody(kind, model) ?? {});
  return fc.oneof(
    fc.uint8Array({ maxLength: 512 }),
    fc.integer({ min: 0, max: valid.length - 1 }).map((end) => valid.slice(0, end)),
    fc.constantFrom(new Uint8Array([0x7b, 0x22, 0x63, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]), new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])),
    fc.constantFrom("", "null", "[]", "0", '"x"', "{", "}", "NaN", '{"a":1,}', '{"a":01}', valid + valid),
    fc.string({ unit: "binary", maxLength: 200 }),
  );
}

/** Authorization headers other than the right one. */
const badAuth = (key: string): fc.Arbitrary<string | undefined> =>
  fc.constantFrom(undefined, "", "Bearer", "Bearer ", "Bearer wrong", `Basic ${key}`, `Bearer ${key}x`, `Bearer ${key.slice(0, -1)}`, `bearer  ${key}  `, `Bearer ${"k".repeat(7000)}`, `Bearer ${key},Bearer ${key}`);

/** Every route × method × body the fuzz sends; `key` is the server's API key, `model` the id it serves. */
export function fuzzRequests(key: string, model: string): fc.Arbitrary<FuzzRequest> {
  const route = fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constantFrom<RouteKind>("chat", "completions", "embeddings", "models", "model"), prefix: fc.constantFrom(...PREFIXES) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom<RouteKind>("tokenize", "detokenize", "health", "metrics"), prefix: fc.constant("") }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom<RouteKind>("messages", "ollama"), prefix: fc.constant("") }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant<RouteKind>("responses"), prefix: fc.constantFrom(...PREFIXES) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant<RouteKind>("unknown"), prefix: fc.constantFrom("", ...PREFIXES) }) },
  );
  return route.chain(({ kind, prefix }) => {
    const rightMethod = kind === "models" || kind === "model" || kind === "health" || kind === "metrics" ? "GET" : "POST";
    const path: fc.Arbitrary<string> =
      kind === "model"
        ? fc.oneof(fc.constant(model), fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("..%2f..%2fetc%2fpasswd", "%00", "a/b/c", "%E0%A4%A", "__proto__")).map((id) => `${prefix}/models/${id.includes("%") ? id : encodeURIComponent(id)}`)
        : kind === "unknown"
          ? fc.oneof(fc.webPath(), fc.constantFrom("/chat/completions/x", "/completion", "/v2/chat/completions", "//v1/models", "/v1/../health")).map((p) => `${prefix}${p}`)
          : fc.constant(
              `${prefix}/${{ chat: "chat/completions", completions: "completions", embeddings: "embeddings", models: "models", tokenize: "tokenize", detokenize: "detokenize", health: "health", metrics: "metrics", messages: "v1/messages", responses: "responses", ollama: "api/chat" }[kind]}`.replace("//", "/"),
            );
    const body: fc.Arbitrary<{ body?: string | Uint8Array; mutations?: Array<[string, RawJson | undefined]> }> = FIELDS[kind]
      ? fc.oneof(
          { weight: 8, arbitrary: mutatedBody(kind, model) },
          { weight: 2, arbitrary: brokenBody(kind, model).map((b) => ({ body: b })) },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ body: JSON.stringify(v) ?? "null" })) },
        )
      : fc.oneof(fc.constant({}), brokenBody(kind, model).map((b) => ({ body: b })));
    return fc.record({
      method: fc.oneof({ weight: 9, arbitrary: fc.constant(rightMethod) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
      path,
      auth: fc.oneof({ weight: 12, arbitrary: fc.constant<string | undefined>(`Bearer ${key}`) }, { weight: 1, arbitrary: badAuth(key) }),
      contentType: fc.oneof({ weight: 12, arbitrary: fc.constant<string | undefined>("application/json") }, { weight: 1, arbitrary: fc.constantFrom(undefined, "text/plain", "application/json; charset=latin1", "multipart/form-data") }),
      body,
    }).map(({ method, path, auth, contentType, body }) => ({
      kind,
      method,
      path,
      headers: { ...(auth !== undefined ? { Authorization: auth } : {}), ...(contentType !== undefined ? { "Content-Type": contentType } : {}) },
      // GET and HEAD carry no body in node's client; the fuzz sends what the method allows
      ...(body.body !== undefined && method !== "GET" && method !== "HEAD" ? { body: body.body, ...(body.mutations ? { mutations: body.mutations } : {}) } : {}),
    }));
  });
}
