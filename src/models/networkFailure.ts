/** The code of a network failure under `fetch`'s "fetch failed" (ENOTFOUND, ECONNREFUSED, ...), if it is one. */
function networkErrorCode(error: unknown): string | undefined {
  for (let cause = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; cause && depth < 5; cause = cause.cause as typeof cause, depth++) {
    if (typeof cause.code === "string" && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(cause.code)) return cause.code;
  }
  return undefined;
}

/** What a failed `fetch` says: the network code when there is one (ENOTFOUND), else its cause's message ("bad port"). */
export function networkFailure(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown } } | undefined)?.cause;
  return networkErrorCode(error) ?? (typeof cause?.message === "string" ? cause.message : (error as Error).message);
}
