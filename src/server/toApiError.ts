import { ApiError, InternalServerError } from "../errors/ApiError.js";

/** Any thrown value as the ApiError a client may see; unexpected faults are logged here and hidden. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  console.error("internal error:", error);
  return new InternalServerError();
}
