/** When an answer's request went out and its first and last tokens came (ms, one clock), and its token count. */
export interface AnswerTiming {
  sentAt: number;
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
  tokens: number;
}

export interface AnswerStats {
  /** Time to first token: from sending the request to the first token's arrival (queue, prompt and one step). */
  ttftMs: number | undefined;
  /**
   * The decode rate: the tokens after the first over the time from the first to the last, so that the prompt's
   * evaluation, counted in the TTFT, does not lower it (llama-server's "predicted per second" is measured alike).
   */
  tokensPerSecond: number | undefined;
  /** One line for the page: "42 tokens · 61.5 tokens/s · first token 130 ms". */
  summary: string;
}

/** An answer's figures as the page measured them. */
export function answerStats(timing: AnswerTiming): AnswerStats {
  const { sentAt, firstTokenAt, lastTokenAt, tokens } = timing;
  const ttftMs = firstTokenAt === undefined ? undefined : firstTokenAt - sentAt;
  const span = firstTokenAt === undefined || lastTokenAt === undefined ? 0 : lastTokenAt - firstTokenAt;
  const tokensPerSecond = tokens >= 2 && span > 0 ? ((tokens - 1) * 1000) / span : undefined;
  const parts = [`${tokens} token${tokens === 1 ? "" : "s"}`];
  if (tokensPerSecond !== undefined) parts.push(`${tokensPerSecond < 100 ? tokensPerSecond.toFixed(1) : Math.round(tokensPerSecond)} tokens/s`);
  if (ttftMs !== undefined) parts.push(`first token ${Math.round(ttftMs)} ms`);
  return { ttftMs, tokensPerSecond, summary: parts.join(" · ") };
}
