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
  const issue = specific(result.error.issues[0]);
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

/**
 * A union's issue, when one of its forms had the right type and failed only a bound (an array of too many
 * prompts): that form's issue, which says what is wrong, instead of "Invalid input"; found the same way inside a
 * union nested in that form (a content block of a known type missing a field, in a list of blocks).
 */
function specific(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (issue?.code !== "invalid_union") return issue;
  for (const branch of issue.errors) {
    const inner = branch[0];
    if (!inner || (inner.code === "invalid_type" && inner.path.length === 0)) continue;
    const nested = { ...inner, path: [...issue.path, ...inner.path] };
    // an item of a listed type that names no type the list knows is as specific as a bound
    if (inner.code === "invalid_union" && "discriminator" in inner) return nested;
    // else a union within the branch is looked into
    const found = specific(nested);
    if (found?.code !== "invalid_union") return found;
  }
  return issue;
}
