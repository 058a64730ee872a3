import type { ChatRun } from "./ChatWorkload.js";
import { chatSummary, type ChatFigures } from "./chatSummary.js";
import { fixed } from "./figureText.js";
import type { ServingFigures } from "./peerColumns.js";

export interface ComparedRow {
  name: string;
  cell(figures: ServingFigures): string;
  value(figures: ServingFigures): number[];
}

/** A target's run of `variant`; a peer ran the workload once, in its own configuration, and shows beside every variant. */
function runOf(figures: ServingFigures, variant: string): ChatRun | undefined {
  return figures.chat.find((run) => run.variant === variant) ?? figures.chat.find((run) => run.variant === "peer");
}

/** The chat workload's rows: per hermes variant, TTFT of first and returning turns, and a returning turn's tokens. */
export function chatRows(models: readonly ServingFigures[]): ComparedRow[] {
  const runs = models[0]?.chat ?? [];
  return runs.flatMap((run) => {
    const shape = chatSummary(run);
    const title = `chat workload (${shape.conversations} conversations × ${shape.turns} turns, 2 in flight), ${run.variant}`;
    /** A row of two figures of the run, "a / b". */
    const row = (what: string, pick: (figures: ChatFigures) => [number, number]): ComparedRow => {
      const value = (f: ServingFigures): number[] => {
        const of = runOf(f, run.variant);
        return of ? pick(chatSummary(of)) : [NaN, NaN];
      };
      return { name: `${title}: ${what}`, value, cell: (f) => value(f).map((v) => fixed(v)).join(" / ") };
    };
    return [
      row("TTFT p50 / p95 ms, first turns", (s) => [s.first.p50, s.first.p95]),
      row("TTFT p50 / p95 ms, returning turns", (s) => [s.returning.p50, s.returning.p95]),
      row("prompt / cached tokens of a returning turn (p50)", (s) => [s.returningPromptTokens, s.returningCachedTokens]),
    ];
  });
}
