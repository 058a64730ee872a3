import { ApiError } from "../errors/ApiError.js";

/**
 * 429 in OpenAI's shape when a key's requests or tokens per minute are used up; `Retry-After` (seconds, and
 * `retry-after-ms`, which the official clients read first) says when the request would fit. A request larger than
 * the limit itself never fits: it gets no retry time. `headers`: the key's `x-ratelimit-*` headers.
 */
export class RateLimitExceededError extends ApiError {
  constructor(key: string, kind: "requests" | "tokens", limit: number, requested: number, waitMs: number, headers: Record<string, string> = {}) {
    const retry: Record<string, string> = Number.isFinite(waitMs) ? { "Retry-After": String(Math.max(1, Math.ceil(waitMs / 1000))), "retry-after-ms": String(Math.ceil(waitMs)) } : {};
    const message = Number.isFinite(waitMs)
      ? `Rate limit reached for key '${key}' on ${kind} per minute (RPM/TPM): Limit ${limit}, Requested ${requested}. Please try again in ${Math.ceil(waitMs)}ms.`
      : `Request too large for key '${key}' on tokens per minute (TPM): Limit ${limit}, Requested ${requested}. Please reduce the prompt or max_tokens.`;
    super(429, message, kind, "rate_limit_exceeded", null, { ...headers, ...retry });
  }
}
