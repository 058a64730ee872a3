import http, { type IncomingHttpHeaders } from "node:http";
import { guardExchange, type ExchangeFailure } from "./guardExchange.js";

/** How one request ended, from the client's side. */
export type ExchangeOutcome = "answered" | ExchangeFailure;

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
      guard.clear();
      resolve({
        outcome,
        ...(status !== undefined ? { status, headers: headers!, headersMs: headersMs! } : {}),
        body: Buffer.concat(chunks),
        totalMs: performance.now() - sentAt,
        ...(error !== undefined ? { error } : {}),
      });
    };
    // node frames a body with neither Content-Length nor chunked encoding for DELETE and OPTIONS: the server would
    // read it as the next request; the length makes every method's body a body
    const sent = request.body ? { ...request.headers, "Content-Length": String(request.body.length) } : request.headers;
    const outgoing = http.request(request.url, { method: request.method, headers: sent, agent: false }, (response) => {
      status = response.statusCode;
      headers = response.headers;
      headersMs = performance.now() - sentAt;
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => finish("answered"));
      guard.watch(response);
    });
    const guard = guardExchange(outgoing, request.timeoutMs, finish);
    outgoing.end(request.body);
  });
}
