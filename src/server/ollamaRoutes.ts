import { Hono, type Context, type MiddlewareHandler } from "hono";
import { RouteNotFoundError } from "../errors/ApiError.js";
import type { Moderator } from "../moderation/Moderator.js";
import { ollamaChatRequestSchema, ollamaEmbedRequestSchema, ollamaGenerateRequestSchema, ollamaShowRequestSchema } from "../protocol/ollama.js";
import { parseRequest } from "../protocol/parseRequest.js";
import type { EmbeddingModel } from "../serving/EmbeddingModel.js";
import type { GenerationObserver } from "../serving/GenerationObserver.js";
import type { ModelFleet } from "../serving/ModelFleet.js";
import { OllamaModels } from "../serving/OllamaModels.js";
import { OllamaService, type OllamaResult } from "../serving/OllamaService.js";
import type { AppKit, Env } from "./AppKit.js";
import { renderOllamaError } from "./renderOllamaError.js";
import { streamedResponse, type StreamFraming } from "./streamedResponse.js";
import { toApiError } from "./toApiError.js";

/**
 * The version of Ollama's API these routes follow, for the clients that check it before using a feature (tools,
 * `format` schemas, `tool_name`).
 */
export const OLLAMA_API_VERSION = "0.12.0";

/** A streamed answer as Ollama sends it: NDJSON, one object a line, a failure as an `{"error"}` line. */
const NDJSON: StreamFraming = {
  contentType: "application/x-ndjson",
  chunk: (value) => `${JSON.stringify(value)}\n`,
  error: (error) => `${JSON.stringify(renderOllamaError(error).body)}\n`,
};

/**
 * Ollama's API at its own paths (`/api/...`): chat and generate (NDJSON streams by default), the model list, the
 * running models, a model's description, embeddings and the version. Errors are Ollama's `{"error": "..."}`.
 */
export function ollamaRoutes(app: Hono<Env>, kit: AppKit): void {
  const { fleet, embeddingModel } = kit;
  const service = new OllamaService(fleet, kit.moderator, embeddingModel);
  const models = new OllamaModels(fleet, embeddingModel);
  const stream = (chunks: AsyncIterable<unknown>): Promise<Response> => streamedResponse(chunks, NDJSON);
  const rendered = (result: OllamaResult<unknown>): { json: unknown } | { chunks: AsyncIterable<unknown> } => (result.stream ? { chunks: result.chunks } : { json: result.response });
  const api = new Hono<Env>();
  api.use(...kit.guards);
  api.onError(async (error, c) => {
    const { status, body, headers } = renderOllamaError(toApiError(error));
    await kit.discardBody(c);
    return c.json(body, status as 400, headers);
  });
  api.post("/chat", async (c) => {
    const request = parseRequest(ollamaChatRequestSchema, await kit.jsonBody(c));
    const observer = kit.observe(c, request.model, request.messages);
    return kit.respond(c, async (signal) => rendered(await service.chat(request, signal, observer)), stream);
  });
  api.post("/generate", async (c) => {
    const request = parseRequest(ollamaGenerateRequestSchema, await kit.jsonBody(c));
    const observer = kit.observe(c, request.model, request.prompt);
    return kit.respond(c, async (signal) => rendered(await service.generate(request, signal, observer)), stream);
  });
  api.post("/embed", async (c) => {
    const request = parseRequest(ollamaEmbedRequestSchema, await kit.jsonBody(c));
    const observer = kit.observe(c, request.model, request.input);
    return kit.respond(c, async (signal) => ({ json: await service.embed(request, signal, observer) }), stream);
  });
  api.post("/show", async (c) => {
    const request = parseRequest(ollamaShowRequestSchema, await kit.jsonBody(c));
    return c.json(await models.show((request.model ?? request.name)!, request.verbose ?? false));
  });
  api.get("/tags", async (c) => c.json(await models.tags()));
  api.get("/ps", async (c) => c.json(await models.ps()));
  api.get("/version", (c) => c.json({ version: OLLAMA_API_VERSION }));
  // Ollama's model management (pull, push, create, copy, delete) and anything else: a 404 its clients can read
  api.all("*", (c) => {
    throw new RouteNotFoundError(c.req.method, c.req.path);
  });
  app.route("/api", api);
}
