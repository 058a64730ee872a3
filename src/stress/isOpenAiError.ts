/** True when `value` is OpenAI's error document: `{"error": {"message", "type", "param", "code"}}`. */
export function isOpenAiError(value: unknown): boolean {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  if (typeof error !== "object" || error === null) return false;
  const { message, type, param, code } = error as Record<string, unknown>;
  const stringOrNull = (field: unknown): boolean => typeof field === "string" || field === null;
  return typeof message === "string" && typeof type === "string" && stringOrNull(param) && stringOrNull(code);
}
