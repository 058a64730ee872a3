import { createHash, timingSafeEqual } from "node:crypto";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  AuthenticationError,
  InvalidRequestError,
  PayloadTooLargeError,
  RequestTimeoutError,
  RouteNotFoundError,
  ServerShuttingDownError,
} from "../errors/ApiError.js";
import type { ModelCard, ModelList } from "../protocol/models.js";
import { parseRequest } from "../protocol/parseRequest.js";
import { chatCompletionRequestSchema, completionRequestSchema } from "../protocol/requests.js";
import { embeddingRequestSchema } from "../protocol/embeddings.js";
import { detokenizeRequestSchema, tokenizeRequestSchema } from "../protocol/tokenizer.js";
import { ChatCompletionService } from "../serving/ChatCompletionService.js";
import { CompletionService } from "../serving/CompletionService.js";
import { jailbreakCheck } from "../moderation/jailbreakCheck.js";
import { Moderator } from "../moderation/Moderator.js";
import { profanityCheck } from "../moderation/profanityCheck.js";
import { EmbeddingService, type EmbeddingModel } from "../serving/EmbeddingService.js";
import type { ServedModel } from "../serving/ServedModel.js";
import { TokenizerService } from "../serving/TokenizerService.js";
import { prometheusMetrics } from "./prometheusMetrics.js";
import { sseResponse } from "./sseResponse.js";
import { toApiError } from "./toApiError.js";

/** The three base paths clients use: OpenAI's, the hosted API's legacy one, and its current one. */
export const API_PREFIXES = ["/v1", "/v3/openai", "/openai/v1"] as const;

export interface AppOptions {
  model: ServedModel;
  /** The moderation step; default: the lexicon and the rules, reporting only. */
  moderator?: Moderator;
  /** A model loaded for embeddings only; without it, embeddings come from `model`. */
  embeddingModel?: EmbeddingModel;
  /** When set, every API route needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Largest accepted request body. */
  bodyLimitBytes?: number;
  /** Deadline of each completion request, from arrival to its last byte (ms); 0 or unset = none. */
  requestTimeoutMs?: number;
  /** True once the server drains for shutdown: /health says so with a 503, and new requests are refused. */
  isDraining?: () => boolean;
}

const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * The HTTP layer: routes, authentication, body parsing and validation, and the one place where errors become
 * responses. Everything else is in the serving layer.
 */
export function createApp(options: AppOptions): Hono {
  const app = new Hono();
  const moderator = options.moderator ?? new Moderator("report", [profanityCheck, jailbreakCheck]);
  const chat = new ChatCompletionService(options.model, moderator);
  const completions = new CompletionService(options.model, moderator);
  const tokenizer = new TokenizerService(options.model);
  const embeddings = new EmbeddingService(options.model, options.embeddingModel);
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const separate = options.embeddingModel;
  const embeddingCard: ModelCard | undefined = separate && {
    id: separate.ids[0],
    object: "model",
    created: options.model.created,
    owned_by: "hermes-serve",
    context_size: separate.embedder.info.contextSize,
    title: separate.embedder.info.name,
    description: `embeddings: GGUF ${separate.embedder.info.path} (${separate.embedder.info.dimensions} dimensions)`,
  };
  const draining = options.isDraining ?? (() => false);
  /** What every API route goes through first: the drain check, the API key check (when set) and the body limit. */
  const guards: MiddlewareHandler[] = [
    async (_c, next) => {
      // the client should take its next request elsewhere: this connection closes after the answer
      if (draining()) throw new ServerShuttingDownError({ closeConnection: true });
      await next();
    },
    ...(options.apiKey !== undefined ? [requireApiKey(options.apiKey)] : []),
    bodyLimit({
      maxSize: limit,
      onError: () => {
        throw new PayloadTooLargeError(limit);
      },
    }),
  ];

  app.onError((error, c) => {
    const apiError = toApiError(error);
    return c.json(apiError.toJSON(), apiError.status as 400, apiError.headers);
  });
  app.notFound((c) => {
    throw new RouteNotFoundError(c.req.method, c.req.path);
  });

  // a load balancer stops routing here as soon as the server drains
  app.get("/health", (c) => c.json({ status: draining() ? "draining" : "ok", ...options.model.engine.stats() }, draining() ? 503 : 200));
  app.get("/metrics", (c) => c.text(prometheusMetrics(options.model.engine.stats()), 200, { "Content-Type": "text/plain; version=0.0.4" }));

  // llama-server's tokenizer routes, at the root as there
  for (const path of ["/tokenize", "/detokenize"]) app.use(path, ...guards);
  app.post("/tokenize", async (c) => c.json(tokenizer.tokenize(parseRequest(tokenizeRequestSchema, await jsonBody(c)))));
  app.post("/detokenize", async (c) => c.json(tokenizer.detokenize(parseRequest(detokenizeRequestSchema, await jsonBody(c)))));

  for (const prefix of API_PREFIXES) {
    const api = new Hono();
    api.use(...guards);
    api.post("/chat/completions", async (c) => {
      const request = parseRequest(chatCompletionRequestSchema, await jsonBody(c));
      return withDeadline(c.req.raw.signal, options.requestTimeoutMs ?? 0, async (signal) => {
        const result = await chat.create(request, signal);
        return result.stream ? { chunks: result.chunks } : { json: result.response };
      });
    });
    api.post("/completions", async (c) => {
      const request = parseRequest(completionRequestSchema, await jsonBody(c));
      return withDeadline(c.req.raw.signal, options.requestTimeoutMs ?? 0, async (signal) => {
        const result = await completions.create(request, signal);
        return result.stream ? { chunks: result.chunks } : { json: result.response };
      });
    });
    api.post("/embeddings", async (c) => c.json(await embeddings.create(parseRequest(embeddingRequestSchema, await jsonBody(c)))));
    api.get("/models", (c) => {
      const list: ModelList = { object: "list", data: [options.model.card(), ...(embeddingCard ? [embeddingCard] : [])] };
      return c.json(list);
    });
    api.get("/models/:id{.+}", (c) => {
      const id = c.req.param("id");
      if (embeddingCard && options.embeddingModel?.ids.some((name) => name.toLowerCase() === id.toLowerCase())) return c.json({ ...embeddingCard, id });
      options.model.resolve(id);
      return c.json(options.model.card(id));
    });
    app.route(prefix, api);
  }
  return app;
}

/**
 * Runs a completion under the client's signal joined with the request deadline (which aborts with a 504 reason),
 * and renders its result: JSON, or SSE whose end also ends the deadline.
 */
async function withDeadline(
  client: AbortSignal,
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<Rendered>,
): Promise<Response> {
  if (timeoutMs <= 0) return render(await run(client));
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
  let result: Rendered;
  try {
    result = await run(AbortSignal.any([client, deadline.signal]));
  } catch (error) {
    clearTimeout(timer);
    throw error;
  }
  if ("json" in result) {
    clearTimeout(timer);
    return render(result);
  }
  const chunks = result.chunks;
  return sseResponse(
    (async function* () {
      try {
        yield* chunks;
      } finally {
        clearTimeout(timer);
      }
    })(),
  );
}

type Rendered = { json: unknown } | { chunks: AsyncIterable<unknown> };

function render(result: Rendered): Response | Promise<Response> {
  return "json" in result ? Response.json(result.json) : sseResponse(result.chunks);
}

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequestError(
      "We could not parse the JSON body of your request. The body must be valid JSON.",
      null,
      "invalid_json",
    );
  }
}

function requireApiKey(apiKey: string) {
  const expected = digest(apiKey);
  return async (c: Context, next: () => Promise<void>): Promise<void> => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), expected)) throw new AuthenticationError();
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
