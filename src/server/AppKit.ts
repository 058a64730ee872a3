import type { Context, MiddlewareHandler } from "hono";
import type { Moderator } from "../moderation/Moderator.js";
import type { GenerationObserver } from "../serving/GenerationObserver.js";
import type { EmbeddingModel } from "../serving/EmbeddingModel.js";
import type { ModelFleet } from "../serving/ModelFleet.js";
import type { AccessRecord } from "./AccessRecord.js";
import type { KeyLimiter } from "./KeyLimiter.js";

/** What the middleware leaves for the handlers: the request's log record and the key it came with. */
export type Env = { Variables: { record: AccessRecord; key: KeyLimiter | undefined } };

/** A generation's answer before it is written: a JSON body, or the chunks of a stream. */
export type Rendered = { json: unknown } | { chunks: AsyncIterable<unknown> };

/** A dialect's streamed answer on the wire (`sseResponse` in a dialect, `streamedResponse` in a framing). */
export type StreamRenderer = (chunks: AsyncIterable<unknown>) => Promise<Response>;

/** What `createApp` gives the routes of another API dialect (`server/<dialect>Routes.ts`). */
export interface AppKit {
  fleet: ModelFleet;
  moderator: Moderator;
  /** The `--embedding-model`, when one is served. */
  embeddingModel: EmbeddingModel | undefined;
  /** The drain check, the API key check and the body limit, for each of its routes. */
  guards: Array<MiddlewareHandler<Env>>;
  jsonBody(c: Context): Promise<unknown>;
  observe(c: Context<Env>, model: string, prompt: unknown): GenerationObserver;
  /**
   * Runs a generation under the client's signal and the request deadline: its JSON, or its chunks written by
   * `stream` (the dialect's framing; OpenAI's SSE by default).
   */
  respond(c: Context<Env>, run: (signal: AbortSignal) => Promise<Rendered>, stream?: StreamRenderer): Promise<Response>;
  /** Reads what is left of a refused request's body before its error is answered (see discardBody). */
  discardBody(c: Context): Promise<void>;
}
