import { Hono } from "hono";
import { anthropicCountTokensRequestSchema, anthropicMessagesRequestSchema } from "../protocol/anthropicRequests.js";
import { parseRequest } from "../protocol/parseRequest.js";
import { AnthropicMessagesService } from "../serving/AnthropicMessagesService.js";
import type { AppKit, Env } from "./AppKit.js";
import { renderAnthropicError } from "./renderAnthropicError.js";
import { sseResponse, type SseDialect } from "./sseResponse.js";
import { toApiError } from "./toApiError.js";

/** Anthropic's stream: each event named by its type, a failure as an `error` event; nothing after `message_stop`. */
const ANTHROPIC_SSE: SseDialect = {
  event: (chunk) => `event: ${(chunk as { type: string }).type}\ndata: ${JSON.stringify(chunk)}\n\n`,
  error: (error) => `event: error\ndata: ${JSON.stringify(renderAnthropicError(error))}\n\n`,
};

/**
 * Anthropic's Messages API at `/v1/messages` and `/v1/messages/count_tokens` (its clients add `/v1/messages` to their
 * base URL), behind the same guards as every API route (the key also read from `x-api-key`). `anthropic-version` is
 * accepted and not read: there is one version of the shapes. Every error of these routes, the guards' included, is
 * rendered in Anthropic's shape by their own error handler.
 */
export function anthropicRoutes(app: Hono<Env>, kit: AppKit): void {
  const messages = new AnthropicMessagesService(kit.fleet, kit.moderator);
  const api = new Hono<Env>();
  api.onError(async (error, c) => {
    const apiError = toApiError(error);
    await kit.discardBody(c);
    return c.json(renderAnthropicError(apiError), apiError.status as 400, apiError.headers);
  });
  for (const path of ["/messages", "/messages/count_tokens"]) api.use(path, ...kit.guards);
  api.post("/messages", async (c) => {
    const request = parseRequest(anthropicMessagesRequestSchema, await kit.jsonBody(c));
    const observer = kit.observe(c, request.model, request.messages);
    return kit.respond(
      c,
      async (signal) => {
        const result = await messages.create(request, signal, observer);
        return result.stream ? { chunks: result.chunks } : { json: result.message };
      },
      (chunks) => sseResponse(chunks, ANTHROPIC_SSE),
    );
  });
  api.post("/messages/count_tokens", async (c) => {
    const request = parseRequest(anthropicCountTokensRequestSchema, await kit.jsonBody(c));
    return c.json(await messages.countTokens(request, c.req.raw.signal));
  });
  app.route("/v1", api);
}
