import { renderResponsesError } from "../protocol/renderResponsesError.js";
import type { ResponseStreamEvent } from "../protocol/responseObjects.js";
import type { SseDialect } from "./sseResponse.js";

/**
 * The Responses API's SSE, for one stream: each event under its type's name (`event: response.output_text.delta`),
 * no `[DONE]` at the end; a failure the serving layer did not render itself (an internal fault, hidden) is an
 * `error` event numbered after the last event sent.
 */
export function responsesSse(): SseDialect {
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
