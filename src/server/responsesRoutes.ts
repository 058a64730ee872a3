import type { Hono } from "hono";
import { parseRequest } from "../protocol/parseRequest.js";
import { responsesRequestSchema } from "../protocol/responsesRequest.js";
import type { ResponsesService } from "../serving/ResponsesService.js";
import type { AppKit, Env } from "./AppKit.js";
import { responsesSse } from "./responsesSse.js";
import { sseResponse } from "./sseResponse.js";

/**
 * OpenAI's Responses API under one of the API prefixes: `POST responses`, behind the same guards, observer
 * (access log, the key's tokens) and deadline as chat completions. Its errors are OpenAI's envelope, as the other
 * routes'; streamed, its events are named (`event: response.output_text.delta`) and end without `[DONE]`.
 */
export function addResponsesRoutes(api: Hono<Env>, responses: ResponsesService, kit: AppKit): void {
  api.post("/responses", async (c) => {
    const request = parseRequest(responsesRequestSchema, await kit.jsonBody(c));
    const observer = kit.observe(c, request.model, request.input);
    return kit.respond(
      c,
      async (signal) => {
        const result = await responses.create(request, signal, observer);
        return result.stream ? { chunks: result.chunks } : { json: result.response };
      },
      (chunks) => sseResponse(chunks, responsesSse()),
    );
  });
}
