import type { Exchange } from "./httpExchange.js";
import { isOpenAiError } from "./isOpenAiError.js";
import type { RouteKind } from "./RouteKind.js";

/** What went wrong with one exchange; `kind` and the status/code make the signature violations are grouped by. */
export interface Violation {
  kind: "5xx" | "reset" | "timeout" | "refused" | "client-error" | "error-shape" | "stream-framing";
  detail: string;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const excerpt = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

/** The framing problem of a 200 event stream, if any: every event a JSON object or `[DONE]`, `[DONE]` last, errors in shape. */
function streamFramingProblem(body: string): string | undefined {
  if (!body.endsWith("\n\n")) return `stream does not end with a blank line: ${JSON.stringify(body.slice(-60))}`;
  const events = body.slice(0, -2).split("\n\n");
  if (events.at(-1) !== "data: [DONE]") return `stream does not end with data: [DONE]: ${JSON.stringify(body.slice(-120))}`;
  for (const event of events.slice(0, -1)) {
    if (!event.startsWith("data: ")) return `not a data event: ${JSON.stringify(excerpt(event))}`;
    const value = parseJson(event.slice(6));
    if (typeof value !== "object" || value === null) return `event is not a JSON object: ${JSON.stringify(excerpt(event))}`;
    if ("error" in value && !isOpenAiError(value)) return `error event not in OpenAI's shape: ${excerpt(event)}`;
  }
  return undefined;
}

/** Anthropic's error document: `{"type": "error", "error": {"type", "message"}}`. */
function isAnthropicError(value: unknown): boolean {
  const doc = value as { type?: unknown; error?: { type?: unknown; message?: unknown } } | null;
  return doc?.type === "error" && typeof doc.error?.type === "string" && typeof doc.error.message === "string";
}

/** Ollama's error document: `{"error": "message"}`. */
function isOllamaError(value: unknown): boolean {
  return typeof (value as { error?: unknown } | null)?.error === "string";
}

/**
 * Whether an error body is in the shape of the dialect `kind` speaks. A route a dialect does not have (a wrong method
 * on it) is the server's 404, in OpenAI's shape outside the Ollama routes, which answer every `/api/*` in theirs.
 */
function inShape(kind: RouteKind | undefined, status: number, value: unknown): boolean {
  if (kind === "messages") return isAnthropicError(value) || (status === 404 && isOpenAiError(value));
  if (kind === "ollama") return isOllamaError(value);
  return isOpenAiError(value);
}

/**
 * Judges one exchange against the invariants every request must keep, whatever it sent: an answer (no reset,
 * no hang), no 5xx, an error body in the shape of the route's dialect (`kind`; OpenAI's by default), a well-framed
 * stream. `method` HEAD answers carry no body.
 */
export function judgeExchange(method: string, exchange: Exchange, kind?: RouteKind): Violation | undefined {
  if (exchange.outcome === "reset") return { kind: "reset", detail: exchange.error ?? "connection reset" };
  if (exchange.outcome === "timeout") return { kind: "timeout", detail: exchange.error ?? "no answer" };
  if (exchange.outcome === "refused") return { kind: "refused", detail: exchange.error ?? "connection refused" };
  if (exchange.outcome === "error") return { kind: "client-error", detail: exchange.error ?? "client error" };
  const status = exchange.status!;
  const text = exchange.body.toString("utf8");
  if (status >= 500) return { kind: "5xx", detail: `HTTP ${status}: ${excerpt(text)}` };
  if (method === "HEAD") return undefined;
  if (status >= 400 && !inShape(kind, status, parseJson(text))) return { kind: "error-shape", detail: `HTTP ${status}: ${excerpt(text)}` };
  if (status === 200 && String(exchange.headers?.["content-type"]).startsWith("text/event-stream")) {
    const problem = streamFramingProblem(text);
    if (problem) return { kind: "stream-framing", detail: problem };
  }
  return undefined;
}
