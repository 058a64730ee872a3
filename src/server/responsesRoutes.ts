import type { Env, Hono } from "hono";
import { parseRequest } from "../protocol/parseRequest.js";
import { renderResponsesError } from "../protocol/renderResponsesError.js";
import type { ResponseStreamEvent } from "../protocol/responseObjects.js";
import { responsesRequestSchema } from "../protocol/responsesRequest.js";
import type { ResponsesService } from "../serving/ResponsesService.js";
import type { RouteEdge } from "./RouteEdge.js";
import type { SseDialect } from "./sseResponse.js";

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

/**
 * The Responses API's SSE: each event under its type's name; a failure the serving layer did not render itself
 * (an internal fault) as an `error` event numbered after the last event sent.
 */
function responsesSse(): SseDialect {
  let next = 0;
  return {
    event: (chunk) => {
      const event = chunk as ResponseStreamEvent;
      next = event.sequence_number + 1;
      return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    },
    error: (error) => `event: error\ndata: ${JSON.stringify(renderResponsesError(error, next))}\n\n`,
    end: undefined,
  };
}
