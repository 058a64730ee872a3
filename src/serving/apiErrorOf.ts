import { AbortedError, ContextTooLongError, QueueFullError, ShuttingDownError } from "../engine/engineErrors.js";
import { ApiError, ContextLengthExceededError, RequestAbortedError, ServerOverloadedError, ServerShuttingDownError } from "../errors/ApiError.js";

/** Seconds a client refused for lack of room is told to wait before it retries. */
const RETRY_AFTER_SECONDS = 1;

/**
 * The one place where the engine's errors become the API's: a full queue or a queue timeout is 503
 * `server_overloaded` with Retry-After, shutting down 503 `server_shutting_down`, an abort the signal's reason
 * when it is an API error (the request deadline's 504) else 499, a prompt that does not fit 400
 * `context_length_exceeded` naming `contextParam`. Anything else is returned as it is: an engine failure is no
 * client's doing, and the server logs it and answers 500 `internal_error` without its details.
 */
export function apiErrorOf(error: unknown, contextParam = "max_tokens"): unknown {
  if (error instanceof QueueFullError) return new ServerOverloadedError(error.message, RETRY_AFTER_SECONDS);
  if (error instanceof ShuttingDownError) return new ServerShuttingDownError();
  if (error instanceof AbortedError) return error.reason instanceof ApiError ? error.reason : new RequestAbortedError();
  if (error instanceof ContextTooLongError) {
    return new ContextLengthExceededError(error.promptTokens, error.requestedTokens, error.contextSize, contextParam);
  }
  return error;
}
