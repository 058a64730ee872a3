/**
 * The one error hierarchy of the project. Every failure a client can see is an ApiError; the server renders it in
 * one place as OpenAI's envelope `{"error": {"message", "type", "param", "code"}}` with `status`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Response headers that go with the error (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: the request is malformed or a parameter is out of range. */
export class InvalidRequestError extends ApiError {
  constructor(message: string, param: string | null = null, code: string | null = null) {
    super(400, message, "invalid_request_error", code, param);
  }
}

/** 400: the moderation step flagged the prompt and the server blocks (`--moderation block`). */
export class ContentFilterError extends ApiError {
  constructor(param: string, found: readonly string[]) {
    super(
      400,
      `The prompt was filtered by the content filter (${found.join(", ")}). Please modify your prompt and retry.`,
      "invalid_request_error",
      "content_filter",
      param,
    );
  }
}

/** 400: prompt plus completion would not fit in the model's context. */
export class ContextLengthExceededError extends ApiError {
  constructor(
    readonly promptTokens: number,
    readonly requestedTokens: number,
    readonly contextSize: number,
    param: string,
  ) {
    super(
      400,
      `This model's maximum context length is ${contextSize} tokens. However, you requested ` +
        `${promptTokens + requestedTokens} tokens (${promptTokens} in the prompt, ${requestedTokens} for the ` +
        `completion). Please reduce the prompt or the completion length.`,
      "invalid_request_error",
      "context_length_exceeded",
      param,
    );
  }
}

/** 401: missing or wrong API key. */
export class AuthenticationError extends ApiError {
  constructor(message = "Incorrect or missing API key. Pass it as 'Authorization: Bearer <key>' (or, from Anthropic's clients, 'x-api-key: <key>').") {
    super(401, message, "invalid_request_error", "invalid_api_key");
  }
}

/** 404: unknown model; `known`: the ids the server does serve, listed in the message. */
export class ModelNotFoundError extends ApiError {
  constructor(
    /** The name asked for (Ollama's clients get their own wording of this error). */
    readonly model: string,
    known: readonly string[] = [],
  ) {
    const listed = known.length > 0 ? ` This server serves: ${known.join(", ")}.` : "";
    super(404, `The model '${model}' does not exist.${listed}`, "invalid_request_error", "model_not_found", "model");
  }
}

/**
 * 503: the model is served but cannot be loaded now: it would not fit in the memory left, the other models are all
 * busy and cannot make room, or its load failed. The message names the model and the reason.
 */
export class ModelUnavailableError extends ApiError {
  constructor(message: string, retryAfterSeconds: number) {
    super(503, message, "server_error", "model_unavailable", "model", { "Retry-After": String(retryAfterSeconds) });
  }
}

/** 404: unknown route. */
export class RouteNotFoundError extends ApiError {
  constructor(method: string, path: string) {
    super(404, `Invalid URL (${method} ${path})`, "invalid_request_error", "not_found");
  }
}

/** 413: the request body is over the limit. */
export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(413, `Request body is larger than ${limitBytes} bytes.`, "invalid_request_error", "payload_too_large");
  }
}

/** 503: no slot is free and the queue is full (or the wait timed out); the client should retry later. */
export class ServerOverloadedError extends ApiError {
  constructor(message: string, retryAfterSeconds: number) {
    super(503, message, "server_error", "server_overloaded", null, { "Retry-After": String(retryAfterSeconds) });
  }
}

/** 500: an unexpected fault; the message never carries internals. */
export class InternalServerError extends ApiError {
  constructor() {
    super(500, "The server had an error while processing your request.", "server_error", "internal_error");
  }
}

/** 499 (nginx's and the hosted API's "client closed request"): the client went away; nobody reads this. */
export class RequestAbortedError extends ApiError {
  constructor() {
    super(499, "The client closed the request.", "invalid_request_error", "client_closed_request");
  }
}

/** 504: the request ran past the server's per-request deadline (`--request-timeout`). */
export class RequestTimeoutError extends ApiError {
  constructor(timeoutMs: number) {
    super(504, `The request did not complete within the server's request timeout of ${timeoutMs / 1000} s.`, "server_error", "timeout");
  }
}

/** 503 while the server loads its first model at start: nothing is served yet (llama-server's "Loading model"). */
export class ServerLoadingError extends ApiError {
  constructor() {
    super(503, "The server is loading its model. Retry shortly.", "server_error", "server_loading", null, { "Retry-After": "1" });
  }
}

/**
 * 503 to the requests still queued or running when the server stops, and to new ones while it drains (those with
 * `closeConnection`, so that the client's next request opens a connection to another replica).
 */
export class ServerShuttingDownError extends ApiError {
  constructor(options: { closeConnection?: boolean } = {}) {
    super(503, "The server is shutting down. Retry later.", "server_error", "server_shutting_down", null, {
      "Retry-After": "1",
      ...(options.closeConnection ? { Connection: "close" } : {}),
    });
  }
}
