import type { ApiError } from "../errors/ApiError.js";
import type { ResponseErrorCode, ResponseStreamEvent } from "./responseObjects.js";

/**
 * An error as the Responses API streams it: an `error` event with the error's code, message and parameter, numbered
 * as the stream's next event. (Before a stream starts, an error is OpenAI's usual JSON envelope, `ApiError.toJSON`.)
 */
export function renderResponsesError(error: ApiError, sequenceNumber: number): Extract<ResponseStreamEvent, { type: "error" }> {
  return { type: "error", code: error.code, message: error.message, param: error.param, sequence_number: sequenceNumber };
}

/** A failed response's `error`: OpenAI's schema knows a few codes, so ours map to the nearest of them. */
export function responseFailure(error: ApiError): { code: ResponseErrorCode; message: string } {
  const code: ResponseErrorCode = error.code === "rate_limit_exceeded" ? "rate_limit_exceeded" : error.code === "content_filter" ? "invalid_prompt" : "server_error";
  return { code, message: error.message };
}
