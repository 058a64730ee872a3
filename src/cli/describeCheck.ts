import type { ModelRecord } from "../models/ModelRecord.js";

/** How a cached model was checked before its first use, in words. */
export function describeCheck(checked: ModelRecord["checked"]): string {
  if (checked === "sha256") return "SHA-256 checked";
  if (checked === "size") return "size checked (no SHA-256 stated)";
  return "not checked (no size stated)";
}
