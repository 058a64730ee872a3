import type { Env, Hono } from "hono";
import { parseRequest } from "../protocol/parseRequest.js";
import { responsesRequestSchema } from "../protocol/responsesRequest.js";
import type { ResponsesService } from "../serving/ResponsesService.js";
import type { RouteEdge } from "./RouteEdge.js";
import { responsesSse } from "./responsesSse.js";

/**
 * OpenAI's Responses API under one of the API prefixes: `POST responses`, behind the same guards, observer
 * (access log, the key's tokens) and deadline as chat completions. Its errors are OpenAI's envelope, as the other
 * routes'; streamed, its events are named (`event: response.output_text.delta`) and end without `[DONE]`.
 */
export function addResponsesRoutes<E extends Env>(api: Hono<E>, responses: ResponsesService, edge: RouteEdge<E>): void {
  api.post("/responses", async (c) => {
    const request = parseRequest(responsesRequestSchema, await edge.body(c));
    const observer = edge.observe(c, request.model, request.input);
    return edge.respond(c, async (signal) => {
      const result = await responses.create(request, signal, observer);
      return result.stream ? { chunks: result.chunks, dialect: responsesSse() } : { json: result.response };
    });
  });
}
