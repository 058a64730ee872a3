import type { z } from "zod";
import { InvalidRequestError } from "../errors/ApiError.js";

/** `["messages", 0, "content"]` → `messages[0].content` */
export function paramPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}

/** Validates a request body; the first violation becomes a 400 naming its parameter. */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new InvalidRequestError("Invalid request body.");
  const param = paramPath(issue.path);
  if (issue.code === "invalid_type" && issue.input === undefined) {
    throw new InvalidRequestError(`Missing required parameter: '${param}'.`, param, "missing_required_parameter");
  }
  throw new InvalidRequestError(
    param ? `Invalid value for '${param}': ${issue.message}.` : `Invalid request body: ${issue.message}.`,
    param || null,
    "invalid_value",
  );
}
