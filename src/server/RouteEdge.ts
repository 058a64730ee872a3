import type { Context, Env } from "hono";
import type { GenerationObserver } from "../serving/GenerationObserver.js";
import type { SseDialect } from "./sseResponse.js";

/** A route's answer before it is rendered: JSON, or a stream of chunks written in an SSE dialect (OpenAI's by default). */
export type RenderedResult = { json: unknown } | { chunks: AsyncIterable<unknown>; dialect?: SseDialect };

/**
 * What `createApp` lends the routes of an API dialect kept in a file of their own (so that they need not import it
 * back): the body read as JSON (the nesting checked, 400 `invalid_json`), the observer of the request's generations
 * (access log, the key's tokens), and the answer run under the client's signal joined with the request deadline.
 */
export interface RouteEdge<E extends Env> {
  body(c: Context<E>): Promise<unknown>;
  observe(c: Context<E>, model: string, prompt: unknown): GenerationObserver;
  respond(c: Context<E>, run: (signal: AbortSignal) => Promise<RenderedResult>): Promise<Response>;
}
