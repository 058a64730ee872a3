import assert from "node:assert/strict";
import { test } from "node:test";
import { AbortedError, ContextTooLongError, EngineFailureError, QueueFullError, ShuttingDownError } from "../../src/engine/engineErrors.js";
import { RequestTimeoutError, type ApiError } from "../../src/errors/ApiError.js";
import { apiErrorOf } from "../../src/serving/apiErrorOf.js";

const shape = (error: unknown): unknown => {
  const api = error as ApiError;
  return [api.status, api.type, api.code, api.param, api.headers["Retry-After"]];
};

test("the engine's errors become the API's: 503s with Retry-After, 499 or the deadline's 504, 400 naming the parameter", () => {
  assert.deepEqual(shape(apiErrorOf(new QueueFullError("busy"))), [503, "server_error", "server_overloaded", null, "1"]);
  assert.equal((apiErrorOf(new QueueFullError("busy")) as ApiError).message, "busy");
  assert.deepEqual(shape(apiErrorOf(new ShuttingDownError())), [503, "server_error", "server_shutting_down", null, "1"]);
  assert.deepEqual(shape(apiErrorOf(new AbortedError(undefined))), [499, "invalid_request_error", "client_closed_request", null, undefined]);
  const deadline = new RequestTimeoutError(300);
  assert.equal(apiErrorOf(new AbortedError(deadline)), deadline);
  assert.deepEqual(shape(apiErrorOf(new ContextTooLongError(10, 5, 12))), [400, "invalid_request_error", "context_length_exceeded", "max_tokens", undefined]);
  assert.deepEqual(shape(apiErrorOf(new ContextTooLongError(10, 5, 12), "messages")), [400, "invalid_request_error", "context_length_exceeded", "messages", undefined]);
  assert.match((apiErrorOf(new ContextTooLongError(10, 5, 12)) as ApiError).message, /maximum context length is 12 tokens.*15 tokens \(10 in the prompt, 5 for the completion\)/);
});

test("an engine failure, or anything else, is left as it is, for the server to log and answer 500", () => {
  const failure = new EngineFailureError(new Error("llama_decode failed"));
  assert.equal(apiErrorOf(failure), failure);
  const other = new TypeError("bug");
  assert.equal(apiErrorOf(other), other);
});
