import http from "node:http";
import https from "node:https";
import { createParser } from "eventsource-parser";

/** What one streamed completion looked like from the client's side. */
export interface StreamTiming {
  /** performance.now() when the request was sent. */
  sentAt: number;
  /** performance.now() at each chunk that carried text. */
  textAt: number[];
  /**
   * performance.now() at the first chunk that carried text or a finish reason: the first token's arrival even when
   * that token is only part of a character (its text then comes with a later token, or never for max_tokens 1).
   */
  firstTokenAt: number;
  /** The text the stream carried (a completion's text, a chat answer's content), as a client would show it. */
  text: string;
  /**
   * Whether the server sent a usage (asked for with `stream_options.include_usage`). Without one, `promptTokens` is
   * 0 and `completionTokens` counts the chunks that carried text (one per token but for split characters).
   */
  usageReported: boolean;
  promptTokens: number;
  completionTokens: number;
  /** The usage's `prompt_tokens_details.cached_tokens`; undefined when the server gave none. */
  cachedTokens: number | undefined;
}

export interface StreamOptions {
  /** Sent as `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** The request fails when the server sends nothing for this long: connecting, before the headers, between events. */
  idleTimeoutMs?: number;
  /** ... and when the whole stream has not arrived within this time (a server sending keep-alive comments forever). */
  totalTimeoutMs?: number;
}

interface Chunk {
  choices?: Array<{ text?: string; delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
  error?: { message: string };
}

/**
 * A connection per request: reusing idle keep-alive connections races with the server closing them after its idle
 * timeout (ECONNRESET on a long bench); a local connect costs a fraction of a millisecond, outside the decode rates.
 */
const agents = { "http:": new http.Agent({ keepAlive: false }), "https:": new https.Agent({ keepAlive: false }) };

/**
 * Generous bounds: the slowest request of the bench (8 streams of a 1B model on 2 cores, a 300-token chat turn
 * beside another) takes seconds alone, but a machine shared with other work once stretched a chat turn past two
 * minutes; these only turn a dead or stalled server into an error instead of a hang.
 */
const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
const DEFAULT_TOTAL_TIMEOUT_MS = 900_000;

/**
 * Sends one streamed completion (`/completions` or `/chat/completions`, with usage requested) and records when each
 * text chunk arrived. Uses node:http rather than fetch: the client shares the machine's cores with the server, and
 * its per-chunk cost should stay small; the events are read by `eventsource-parser` (any SSE framing: an event
 * split over network chunks or over several `data:` lines). Throws, with the URL, on an HTTP error, an error event,
 * a failed connection or a server silent for longer than the options allow.
 */
export function streamRequest(url: string, body: Record<string, unknown>, options: StreamOptions = {}): Promise<StreamTiming> {
  const payload = JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } });
  const timing: StreamTiming = {
    sentAt: performance.now(),
    textAt: [],
    firstTokenAt: NaN,
    text: "",
    usageReported: false,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: undefined,
  };
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  const headers: http.OutgoingHttpHeaders = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) };
  if (options.apiKey !== undefined) headers.Authorization = `Bearer ${options.apiKey}`;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const totalTimeoutMs = options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.destroy();
      if (error) reject(new Error(`${url}: ${error.message}`));
      else resolve(timing);
    };
    const request = client.request(target, { method: "POST", agent: agents[target.protocol as keyof typeof agents], headers }, (response) => {
      response.setEncoding("utf8");
      response.on("error", settle);
      if (response.statusCode !== 200) {
        let answer = "";
        response.on("data", (text: string) => (answer += text));
        response.on("end", () => settle(new Error(`HTTP ${response.statusCode} ${answer}`)));
        return;
      }
      // when the network chunk that completed an event arrived: the parser reports the event during feed()
      let now = 0;
      const parser = createParser({
        onEvent: ({ data }) => {
          if (settled || data === "[DONE]") return;
          let chunk: Chunk;
          try {
            chunk = JSON.parse(data) as Chunk;
          } catch {
            settle(new Error(`an event that is not JSON: ${data.slice(0, 200)}`));
            return;
          }
          if (chunk.error) {
            settle(new Error(chunk.error.message));
            return;
          }
          const choice = chunk.choices?.[0];
          const text = choice?.text || choice?.delta?.content || "";
          if (text !== "") {
            timing.textAt.push(now);
            timing.text += text;
          }
          if ((text !== "" || choice?.finish_reason) && Number.isNaN(timing.firstTokenAt)) timing.firstTokenAt = now;
          if (chunk.usage) {
            timing.usageReported = true;
            timing.promptTokens = chunk.usage.prompt_tokens;
            timing.completionTokens = chunk.usage.completion_tokens;
            timing.cachedTokens = chunk.usage.prompt_tokens_details?.cached_tokens ?? undefined;
          }
        },
      });
      response.on("data", (text: string) => {
        now = performance.now();
        parser.feed(text);
      });
      response.on("end", () => {
        if (!timing.usageReported) timing.completionTokens = timing.textAt.length;
        settle();
      });
      response.on("close", () => settle(new Error("the connection closed before the stream ended")));
    });
    const deadline = setTimeout(() => settle(new Error(`no complete answer within ${totalTimeoutMs / 1000} s`)), totalTimeoutMs);
    // the socket's inactivity timer: covers the connection, the wait for the headers and every gap between events
    request.setTimeout(idleTimeoutMs, () => settle(new Error(`nothing received for ${idleTimeoutMs / 1000} s`)));
    request.on("error", settle);
    request.end(payload);
  });
}
