import type { ChatRun } from "./ChatWorkload.js";
import { percentile } from "./percentile.js";

export interface ChatFigures {
  conversations: number;
  turns: number;
  /** TTFT of the first turns, and of the returning ones (ms). */
  first: { count: number; p50: number; p95: number };
  returning: { count: number; p50: number; p95: number };
  /** Median prompt and cached tokens of a returning turn (NaN where the server reported none). */
  returningPromptTokens: number;
  returningCachedTokens: number;
}

const ttfts = (turns: ChatRun["turns"]) => {
  const ms = turns.map((turn) => turn.ttftMs);
  return { count: ms.length, p50: percentile(ms, 50), p95: percentile(ms, 95) };
};

const medianOf = (values: Array<number | null>): number => percentile(values.filter((v): v is number => v !== null), 50);

/** A chat run's figures: first turns and returning turns apart, since a cache can only help the returning ones. */
export function chatSummary(run: ChatRun): ChatFigures {
  const first = run.turns.filter((turn) => turn.turn === 1);
  const returning = run.turns.filter((turn) => turn.turn > 1);
  return {
    conversations: new Set(run.turns.map((turn) => turn.conversation)).size,
    turns: Math.max(0, ...run.turns.map((turn) => turn.turn)),
    first: ttfts(first),
    returning: ttfts(returning),
    returningPromptTokens: medianOf(returning.map((turn) => turn.promptTokens)),
    returningCachedTokens: medianOf(returning.map((turn) => turn.cachedTokens)),
  };
}
