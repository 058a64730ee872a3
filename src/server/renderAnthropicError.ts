import type { ApiError } from "../errors/ApiError.js";

/** Anthropic's error types by status; a status without its own is `invalid_request_error` (4xx) or `api_error` (5xx). */
const TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  // our 503s (queue full, model unavailable, shutting down) keep their status and Retry-After, which the SDKs
  // retry after; Anthropic's own overload is 529 with this type, which clients that branch on the type know
  503: "overloaded_error",
  504: "timeout_error",
};

/** Any error a client of the Messages API sees, in its shape: `{"type": "error", "error": {"type", "message"}}`. */
export function renderAnthropicError(error: ApiError): { type: "error"; error: { type: string; message: string } } {
  const type = TYPES[error.status] ?? (error.status >= 500 ? "api_error" : "invalid_request_error");
  return { type: "error", error: { type, message: error.message } };
}
