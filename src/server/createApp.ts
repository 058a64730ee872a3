import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import {
  AuthenticationError,
  InvalidRequestError,
  PayloadTooLargeError,
  RequestTimeoutError,
  RouteNotFoundError,
  ServerShuttingDownError,
} from "../errors/ApiError.js";
import { modelActionRequestSchema, type ModelList } from "../protocol/models.js";
import { LIMITS } from "../protocol/limits.js";
import { paramPath, parseRequest } from "../protocol/parseRequest.js";
import { tooDeep } from "../protocol/tooDeep.js";
import { chatCompletionRequestSchema, completionRequestSchema } from "../protocol/requests.js";
import { embeddingRequestSchema } from "../protocol/embeddings.js";
import { detokenizeRequestSchema, tokenizeRequestSchema } from "../protocol/tokenizer.js";
import { applyTemplateRequestSchema } from "../protocol/applyTemplate.js";
import { ChatCompletionService } from "../serving/ChatCompletionService.js";
import { ResponsesService } from "../serving/ResponsesService.js";
import { CompletionService } from "../serving/CompletionService.js";
import type { Moderator } from "../moderation/Moderator.js";
import type { EmbeddingModel } from "../serving/EmbeddingModel.js";
import { EmbeddingService } from "../serving/EmbeddingService.js";
import type { GenerationObserver } from "../serving/GenerationObserver.js";
import type { FleetModel } from "../serving/FleetModel.js";
import type { ModelFleet } from "../serving/ModelFleet.js";
import { TokenizerService } from "../serving/TokenizerService.js";
import { TemplateService } from "../serving/TemplateService.js";
import { withApiErrors } from "../serving/withApiErrors.js";
import { AccessRecord } from "./AccessRecord.js";
import type { ApiKeyRegistry } from "./ApiKeyRegistry.js";
import { discardBody } from "./discardBody.js";
import { ollamaRoutes } from "./ollamaRoutes.js";
import { playgroundRoutes } from "./playgroundRoutes.js";
import { ServerMetrics } from "./ServerMetrics.js";
import { requestId } from "./requestId.js";
import { addResponsesRoutes } from "./responsesRoutes.js";
import { anthropicRoutes } from "./anthropicRoutes.js";
import type { AppKit, Env, Rendered } from "./AppKit.js";
import { sseResponse, type SseDialect } from "./sseResponse.js";
import { toApiError } from "./toApiError.js";

/** The three base paths clients use: OpenAI's, the hosted API's legacy one, and its current one. */
export const API_PREFIXES = ["/v1", "/v3/openai", "/openai/v1"] as const;

export interface AppOptions {
  /** The models served, loaded on demand. */
  models: ModelFleet;
  /** The moderation step of the completions. */
  moderator: Moderator;
  /** A model loaded for embeddings only; without it, embeddings come from `model`. */
  embeddingModel?: EmbeddingModel;
  /** When set, every API route needs `Authorization: Bearer <key>` with one of these keys, and keeps to its limits. */
  apiKeys?: ApiKeyRegistry;
  /** Origins browsers may call the API from (`*`: any); unset: no CORS headers. */
  corsOrigins?: readonly string[];
  /** Where each request's access log line goes (one JSON object, no newline); unset: no access log. */
  accessLog?: (line: string) => void;
  /** Put prompt and output text in the access log. */
  logContent?: boolean;
  /** Largest accepted request body. */
  bodyLimitBytes?: number;
  /** Deadline of each completion request, from arrival to its last byte (ms); 0 or unset = none. */
  requestTimeoutMs?: number;
  /** True once the server drains for shutdown: /health says so with a 503, and new requests are refused. */
  isDraining?: () => boolean;
  /** Serve the web playground at `/` (default: true; `--no-playground`). */
  playground?: boolean;
}

const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;
/** How long an error answered before the body was read waits for the rest of it (see discardBody). */
const DISCARD_BODY_MS = 2_000;


/** Headers a browser script may read: the request id, the rate limits, and when to retry. */
const EXPOSED_HEADERS = [
  "x-request-id",
  ...["limit", "remaining", "reset"].flatMap((what) => ["requests", "tokens"].map((kind) => `x-ratelimit-${what}-${kind}`)),
  "retry-after",
  "retry-after-ms",
];

/**
 * The HTTP layer: routes, authentication, body parsing and validation, and the one place where errors become
 * responses. Everything else is in the serving layer.
 */
export function createApp(options: AppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const fleet = options.models;
  const chat = new ChatCompletionService(fleet, options.moderator);
  const responses = new ResponsesService(fleet, options.moderator);
  const completions = new CompletionService(fleet, options.moderator);
  const tokenizer = new TokenizerService(fleet);
  const templates = new TemplateService(fleet);
  const embeddings = new EmbeddingService(fleet, options.embeddingModel);
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const separate = options.embeddingModel;
  const draining = options.isDraining ?? (() => false);
  /** What every API route goes through first: the drain check, the API key check (when set) and the body limit. */
  const guards: Array<MiddlewareHandler<Env>> = [
    async (_c, next) => {
      // the client should take its next request elsewhere: this connection closes after the answer
      if (draining()) throw new ServerShuttingDownError({ closeConnection: true });
      await next();
    },
    ...(options.apiKeys !== undefined ? [requireApiKey(options.apiKeys)] : []),
    bodyLimit({
      maxSize: limit,
      onError: () => {
        throw new PayloadTooLargeError(limit);
      },
    }),
  ];

  const kit: AppKit = {
    fleet,
    moderator: options.moderator,
    embeddingModel: options.embeddingModel,
    guards,
    jsonBody,
    observe,
    respond: (c, run, stream) => withDeadline(c.req.raw.signal, options.requestTimeoutMs ?? 0, run, stream),
    discardBody: (c) => discardBody(c.req.raw, limit, DISCARD_BODY_MS),
  };

  // outermost: every response, preflights and errors included, carries the request id and gets its log line
  app.use(accessLog(options.accessLog, options.logContent ?? false));
  if (options.corsOrigins?.length) {
    const origins = options.corsOrigins;
    app.use(cors({ origin: origins.includes("*") ? "*" : [...origins], exposeHeaders: EXPOSED_HEADERS, maxAge: 600 }));
  }
  app.onError(async (error, c) => {
    const apiError = toApiError(error);
    await discardBody(c.req.raw, limit, DISCARD_BODY_MS);
    return c.json(apiError.toJSON(), apiError.status as 400, apiError.headers);
  });
  app.notFound((c) => {
    throw new RouteNotFoundError(c.req.method, c.req.path);
  });

  // a load balancer stops routing here as soon as the server drains; the first model's figures at the top, as when
  // one model was all a server served, and every model's state in `models`
  app.get("/health", (c) => {
    const first = fleet.models[0]!.served?.engine;
    const models = fleet.models.map(modelHealth);
    const top = first ? { ...first.stats(), kvCache: first.info.kvCache, threads: first.info.threads } : {};
    return c.json({ status: draining() ? "draining" : "ok", ...top, models }, draining() ? 503 : 200);
  });
  // liveness: the process answers, whatever it is doing (loading a model, draining); a restart would not help it
  app.get("/health/live", (c) => c.json({ status: "alive" }));
  const metrics = new ServerMetrics(fleet, () => options.apiKeys?.all() ?? []);
  app.get("/metrics", async (c) => {
    const { text, contentType } = await metrics.render();
    return c.text(text, 200, { "Content-Type": contentType });
  });

  // llama-server's router routes, for operators: load a model ahead of its requests, or free its memory
  for (const path of ["/models/load", "/models/unload"]) app.use(path, ...guards);
  app.post("/models/load", async (c) => {
    const { model } = parseRequest(modelActionRequestSchema, await jsonBody(c));
    return c.json({ success: true, model: (await withApiErrors(fleet.load(model))).card() });
  });
  app.post("/models/unload", async (c) => {
    const { model } = parseRequest(modelActionRequestSchema, await jsonBody(c));
    return c.json({ success: true, model: (await withApiErrors(fleet.unload(model))).card() });
  });

  // llama-server's tokenizer routes, at the root as there
  for (const path of ["/tokenize", "/detokenize"]) app.use(path, ...guards);
  app.post("/tokenize", async (c) => c.json(await tokenizer.tokenize(parseRequest(tokenizeRequestSchema, await jsonBody(c)))));
  app.post("/detokenize", async (c) => c.json(await tokenizer.detokenize(parseRequest(detokenizeRequestSchema, await jsonBody(c)))));
  // llama-server's: a conversation as the model's template renders it (the playground shows it)
  app.use("/apply-template", ...guards);
  app.post("/apply-template", async (c) => c.json(await templates.apply(parseRequest(applyTemplateRequestSchema, await jsonBody(c)), c.req.raw.signal)));

  if (options.playground ?? true) playgroundRoutes(app);

  // before the /v1 routes, whose guards would otherwise run first (and answer in OpenAI's shape)
  anthropicRoutes(app, kit);

  for (const prefix of API_PREFIXES) {
    const api = new Hono<Env>();
    api.use(...guards);
    api.post("/chat/completions", async (c) => {
      const request = parseRequest(chatCompletionRequestSchema, await jsonBody(c));
      const observer = observe(c, request.model, request.messages);
      return withDeadline(c.req.raw.signal, options.requestTimeoutMs ?? 0, async (signal) => {
        const result = await chat.create(request, signal, observer);
        return result.stream ? { chunks: result.chunks } : { json: result.response };
      });
    });
    api.post("/completions", async (c) => {
      const request = parseRequest(completionRequestSchema, await jsonBody(c));
      const observer = observe(c, request.model, request.prompt);
      return withDeadline(c.req.raw.signal, options.requestTimeoutMs ?? 0, async (signal) => {
        const result = await completions.create(request, signal, observer);
        return result.stream ? { chunks: result.chunks } : { json: result.response };
      });
    });
    api.post("/embeddings", async (c) => {
      const request = parseRequest(embeddingRequestSchema, await jsonBody(c));
      const observer = observe(c, request.model, request.input);
      return withDeadline(c.req.raw.signal, options.requestTimeoutMs ?? 0, async (signal) => ({ json: await embeddings.create(request, signal, observer) }));
    });
    addResponsesRoutes(api, responses, kit);
    api.get("/models", (c) => {
      const list: ModelList = { object: "list", data: [...fleet.models.map((model) => model.card()), ...(separate ? [separate.card()] : [])] };
      return c.json(list);
    });
    api.get("/models/:id{.+}", (c) => {
      const id = c.req.param("id");
      // a name of the embedding model is its own, as in EmbeddingService
      return c.json(separate?.answersTo(id) ? separate.card(id) : fleet.find(id).card(id));
    });
    app.route(prefix, api);
  }

  ollamaRoutes(app, kit);
  return app;
}

/** A model's entry in `/health`: its state (with the load's progress, or why the last one failed) and figures. */
function modelHealth(model: FleetModel): Record<string, unknown> {
  const engine = model.served?.engine;
  return {
    id: model.id,
    status: model.status,
    ...(model.status === "loading" ? { progress: model.progress } : {}),
    ...(model.lastError !== undefined ? { lastError: model.lastError } : {}),
    contextSize: model.outline.contextSize,
    memoryBytes: model.outline.memoryBytes,
    ...model.counters,
    ...(engine ? { slots: engine.stats().slots, queued: engine.stats().queued } : {}),
  };
}

/**
 * Runs a completion under the client's signal joined with the request deadline (which aborts with a 504 reason),
 * and renders its result: JSON, or a stream (SSE unless the dialect frames its own) whose end also ends the deadline.
 */
async function withDeadline(
  client: AbortSignal,
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<Rendered>,
  stream: (chunks: AsyncIterable<unknown>) => Promise<Response> = sseResponse,
): Promise<Response> {
  if (timeoutMs <= 0) return render(await run(client), stream);
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
    return render(result, stream);
  }
  const chunks = result.chunks;
  return stream(
    (async function* () {
      try {
        yield* chunks;
      } finally {
        clearTimeout(timer);
      }
    })(),
  );
}

function render(result: Rendered, stream: (chunks: AsyncIterable<unknown>) => Promise<Response>): Response | Promise<Response> {
  return "json" in result ? Response.json(result.json) : stream(result.chunks);
}

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  const deep = tooDeep(text, LIMITS.bodyDepth);
  if (deep) throw new InvalidRequestError(`The JSON body nests deeper than ${LIMITS.bodyDepth} levels.`, paramPath(deep) || null, "invalid_value");
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

/**
 * The key check: the key (`Authorization: Bearer`, or Anthropic's `x-api-key`) identifies its limiter, which counts
 * the request (429 when its requests per minute are used up); every response to it then carries its `x-ratelimit-*`
 * headers.
 */
function requireApiKey(keys: ApiKeyRegistry): MiddlewareHandler<Env> {
  return async (c, next) => {
    const given = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? c.req.header("x-api-key");
    const key = given?.trim() ? keys.identify(given.trim()) : undefined;
    if (!key) throw new AuthenticationError();
    c.set("key", key);
    c.get("record").key = key.name;
    key.admitRequest();
    await next();
    for (const [name, value] of Object.entries(key.headers())) c.res.headers.set(name, value);
  };
}

/**
 * The observer of one request's generations: it reserves their tokens under the key's limit at admission (429 when
 * they are not available), and settles the key's tokens and fills the access log record when they end.
 */
function observe(c: Context<Env>, model: string, prompt: unknown): GenerationObserver {
  const record = c.get("record");
  const key = c.get("key");
  record.model = model;
  if (record.logContent) record.prompt = prompt;
  let reserved = 0;
  return {
    admit: (tokens) => {
      key?.reserveTokens(tokens);
      reserved = tokens;
      record.begin();
    },
    text: (index, text) => record.text(index, text),
    settle: (outcome) => {
      key?.settleTokens(reserved, outcome.usage);
      record.settle(outcome);
    },
  };
}

/**
 * Gives each request its id (the client's `x-request-id` when safe, else a new one), returns it on the response,
 * and writes the request's access log line once its response is done: at once, or when its generations settle
 * (a stream's end, or its client leaving).
 */
function accessLog(write: ((line: string) => void) | undefined, logContent: boolean): MiddlewareHandler<Env> {
  return async (c, next) => {
    const record = new AccessRecord(requestId(c.req.header("x-request-id")), () => Math.round(performance.now()), logContent);
    c.set("record", record);
    await next();
    c.res.headers.set("x-request-id", record.id);
    if (!write) return;
    const status = c.res.status;
    const signal = c.req.raw.signal;
    const line = (): void => write(record.line({ method: c.req.method, route: c.req.path, status, clientDisconnected: signal.aborted }));
    // a stream's client leaving cancels its generation before the server has marked the request aborted
    if (record.running) void record.running.then(() => setImmediate(line));
    else line();
  };
}
