import http from "node:http";
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
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

interface Chunk {
  choices?: Array<{ text?: string; delta?: { content?: string }; finish_reason?: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number } } | null;
  error?: { message: string };
}

/**
 * A connection per request: reusing idle keep-alive connections races with the server closing them after its idle
 * timeout (ECONNRESET on a long bench); a local connect costs a fraction of a millisecond, outside the decode rates.
 */
const agent = new http.Agent({ keepAlive: false });

/**
 * Sends one streamed completion (`/completions` or `/chat/completions`, with usage requested) and records when each
 * text chunk arrived. Uses node:http rather than fetch: the client shares the machine's cores with the server, and
 * its per-chunk cost should stay small; the events are read by `eventsource-parser` (any SSE framing: an event
 * split over network chunks or over several `data:` lines). Throws on an HTTP error or an error event.
 */
export function streamRequest(url: string, body: Record<string, unknown>): Promise<StreamTiming> {
  const payload = JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } });
  const timing: StreamTiming = { sentAt: performance.now(), textAt: [], firstTokenAt: NaN, promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } }, (response) => {
      response.setEncoding("utf8");
      if (response.statusCode !== 200) {
        let answer = "";
        response.on("data", (text: string) => (answer += text));
        response.on("end", () => reject(new Error(`${url}: HTTP ${response.statusCode} ${answer}`)));
        return;
      }
      // when the network chunk that completed an event arrived: the parser reports the event during feed()
      let now = 0;
      let failed = false;
      const parser = createParser({
        onEvent: ({ data }) => {
          if (failed || data === "[DONE]") return;
          const chunk = JSON.parse(data) as Chunk;
          if (chunk.error) {
            failed = true;
            request.destroy();
            reject(new Error(`${url}: ${chunk.error.message}`));
            return;
          }
          const choice = chunk.choices?.[0];
          const hasText = Boolean(choice?.text || choice?.delta?.content);
          if (hasText) timing.textAt.push(now);
          if ((hasText || choice?.finish_reason) && Number.isNaN(timing.firstTokenAt)) timing.firstTokenAt = now;
          if (chunk.usage) {
            timing.promptTokens = chunk.usage.prompt_tokens;
            timing.completionTokens = chunk.usage.completion_tokens;
            timing.cachedTokens = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
          }
        },
      });
      response.on("data", (text: string) => {
        now = performance.now();
        parser.feed(text);
      });
      response.on("end", () => resolve(timing));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(payload);
  });
}
