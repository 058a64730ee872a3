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
 * Sends one streamed completion (`/completions` or `/chat/completions`, with usage requested) and records when each
 * text chunk arrived. Throws on an HTTP error or an error event.
 */
export async function streamRequest(url: string, body: Record<string, unknown>): Promise<StreamTiming> {
  const sentAt = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
  const timing: StreamTiming = { sentAt, textAt: [], firstTokenAt: NaN, promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of response.body) {
    const now = performance.now();
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.startsWith("data: ") ? event.slice(6) : "";
      if (data === "" || data === "[DONE]") continue;
      const chunk = JSON.parse(data) as Chunk;
      if (chunk.error) throw new Error(`${url}: ${chunk.error.message}`);
      const choice = chunk.choices?.[0];
      if (choice?.text || choice?.delta?.content) timing.textAt.push(now);
      if ((choice?.text || choice?.delta?.content || choice?.finish_reason) && Number.isNaN(timing.firstTokenAt)) timing.firstTokenAt = now;
      if (chunk.usage) {
        timing.promptTokens = chunk.usage.prompt_tokens;
        timing.completionTokens = chunk.usage.completion_tokens;
        timing.cachedTokens = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
      }
    }
  }
  return timing;
}
