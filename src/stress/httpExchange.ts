import http, { type IncomingHttpHeaders } from "node:http";

/** How one request ended, from the client's side. */
export type ExchangeOutcome = "answered" | "reset" | "timeout" | "refused" | "error";

export interface Exchange {
  outcome: ExchangeOutcome;
  status?: number;
  headers?: IncomingHttpHeaders;
  body: Buffer;
  /** ms from sending to the response headers. */
  headersMs?: number;
  /** ms from sending to the end (or the failure). */
  totalMs: number;
  /** The client-side error, when the outcome is not "answered". */
  error?: string;
}

export interface ExchangeRequest {
  method: string;
  /** Absolute URL on 127.0.0.1. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The whole exchange is abandoned (outcome "timeout") after this many ms. */
  timeoutMs: number;
}

/** A closed or reset connection, as node reports it on either side of the response headers. */
export function isReset(error: NodeJS.ErrnoException): boolean {
  return error.code === "ECONNRESET" || error.code === "EPIPE" || error.message === "socket hang up" || error.message === "aborted";
}

/**
 * One request on its own connection (no keep-alive: a reused socket closed by the server would look like a
 * reset the server did not cause), with a hard deadline, so a dead or stalled server never hangs the caller.
 */
export function httpExchange(request: ExchangeRequest): Promise<Exchange> {
  const sentAt = performance.now();
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    let settled = false;
    let status: number | undefined;
    let headers: IncomingHttpHeaders | undefined;
    let headersMs: number | undefined;
    const finish = (outcome: ExchangeOutcome, error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        outcome,
        ...(status !== undefined ? { status, headers: headers!, headersMs: headersMs! } : {}),
        body: Buffer.concat(chunks),
        totalMs: performance.now() - sentAt,
        ...(error !== undefined ? { error } : {}),
      });
    };
    const fail = (error: NodeJS.ErrnoException): void =>
      finish(error.code === "ECONNREFUSED" ? "refused" : isReset(error) ? "reset" : "error", `${error.code ?? ""} ${error.message}`.trim());
    // node frames a body with neither Content-Length nor chunked encoding for DELETE and OPTIONS: the server would
    // read it as the next request; the length makes every method's body a body
    const sent = request.body ? { ...request.headers, "Content-Length": String(request.body.length) } : request.headers;
    const outgoing = http.request(request.url, { method: request.method, headers: sent, agent: false }, (response) => {
      status = response.statusCode;
      headers = response.headers;
      headersMs = performance.now() - sentAt;
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => finish("answered"));
      response.on("error", fail);
      response.on("aborted", () => finish("reset", "response aborted"));
    });
    const timer = setTimeout(() => {
      finish("timeout", `no complete answer within ${request.timeoutMs} ms`);
      outgoing.destroy();
    }, request.timeoutMs);
    outgoing.on("error", fail);
    outgoing.end(request.body);
  });
}
