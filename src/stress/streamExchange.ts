import http, { type IncomingHttpHeaders } from "node:http";
import { guardExchange } from "./guardExchange.js";

/**
 * How a streamed request ended: "complete" ends with `data: [DONE]`; "truncated" is a 200 stream the server ended
 * without it; "answered" is a non-200 answer read whole; "cut" is the client leaving on purpose.
 */
export type StreamOutcome = "complete" | "truncated" | "answered" | "cut" | "reset" | "timeout" | "refused" | "error";

export interface StreamResult {
  outcome: StreamOutcome;
  status?: number;
  headers?: IncomingHttpHeaders;
  /** ms from sending to the response headers. */
  headersMs?: number;
  /** The `data:` payloads received, and when (ms from sending). */
  events: string[];
  eventMs: number[];
  /** The body of a non-200 answer. */
  body: string;
  totalMs: number;
  error?: string;
}

export interface StreamCut {
  /** Leave once this many events arrived (0: right at the headers). */
  afterEvents?: number;
  /** Leave this many ms after sending, whatever arrived. */
  afterMs?: number;
  /** Leave with a TCP reset instead of a close. */
  reset?: boolean;
}

export interface StreamRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  cut?: StreamCut;
  /** Called once with the response headers; stop reading by pausing `response` (a client that stops reading). */
  onResponse?: (response: http.IncomingMessage) => void;
}

/** POSTs `body` as JSON on its own connection and reads the SSE answer, with a hard deadline and optional cut. */
export function streamExchange(request: StreamRequest): Promise<StreamResult> {
  const payload = Buffer.from(JSON.stringify(request.body));
  const sentAt = performance.now();
  const result: StreamResult = { outcome: "error", events: [], eventMs: [], body: "", totalMs: 0 };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: StreamOutcome, error?: string): void => {
      if (settled) return;
      settled = true;
      guard.clear();
      clearTimeout(cutTimer);
      result.outcome = outcome;
      result.totalMs = performance.now() - sentAt;
      if (error !== undefined) result.error = error;
      resolve(result);
    };
    const leave = (): void => {
      finish("cut");
      if (request.cut?.reset && outgoing.socket) outgoing.socket.resetAndDestroy();
      else outgoing.destroy();
    };
    const outgoing = http.request(
      request.url,
      { method: "POST", agent: false, headers: { ...request.headers, "Content-Type": "application/json", "Content-Length": payload.length } },
      (response) => {
        result.status = response.statusCode;
        result.headers = response.headers;
        result.headersMs = performance.now() - sentAt;
        response.setEncoding("utf8");
        request.onResponse?.(response);
        if (request.cut?.afterEvents === 0) return leave();
        let buffer = "";
        response.on("data", (text: string) => {
          if (response.statusCode !== 200) {
            result.body += text;
            return;
          }
          buffer += text;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            result.events.push(buffer.slice(0, end).replace(/^data: /, ""));
            result.eventMs.push(performance.now() - sentAt);
            buffer = buffer.slice(end + 2);
            if (request.cut?.afterEvents !== undefined && result.events.length >= request.cut.afterEvents) return leave();
          }
        });
        response.on("end", () => {
          if (response.statusCode !== 200) finish("answered");
          else finish(result.events.at(-1) === "[DONE]" && buffer === "" ? "complete" : "truncated");
        });
        guard.watch(response);
      },
    );
    const guard = guardExchange(outgoing, request.timeoutMs, finish);
    const cutTimer = request.cut?.afterMs !== undefined ? setTimeout(leave, request.cut.afterMs) : undefined;
    outgoing.end(payload);
  });
}
