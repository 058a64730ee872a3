import type http from "node:http";

/** How an exchange failed from the client's side. */
export type ExchangeFailure = "reset" | "timeout" | "refused" | "error";

/** A closed or reset connection, as node reports it on either side of the response headers. */
function isReset(error: NodeJS.ErrnoException): boolean {
  return error.code === "ECONNRESET" || error.code === "EPIPE" || error.message === "socket hang up" || error.message === "aborted";
}

/**
 * The failure handling every exchange shares, so a dead or stalled server never hangs the caller: a hard deadline
 * (outcome "timeout", the request destroyed) and the errors of the request and of its response, sorted into
 * refused / reset / error. `finish` is called for each and must ignore all but its first call. `watch` takes the
 * response once it arrives; `clear` stops the deadline.
 */
export function guardExchange(
  outgoing: http.ClientRequest,
  timeoutMs: number,
  finish: (outcome: ExchangeFailure, error: string) => void,
): { watch(response: http.IncomingMessage): void; clear(): void } {
  const fail = (error: NodeJS.ErrnoException): void =>
    finish(error.code === "ECONNREFUSED" ? "refused" : isReset(error) ? "reset" : "error", `${error.code ?? ""} ${error.message}`.trim());
  const timer = setTimeout(() => {
    finish("timeout", `no complete answer within ${timeoutMs} ms`);
    outgoing.destroy();
  }, timeoutMs);
  outgoing.on("error", fail);
  return {
    watch: (response) => {
      response.on("error", fail);
      response.on("aborted", () => finish("reset", "response aborted"));
    },
    clear: () => clearTimeout(timer),
  };
}
