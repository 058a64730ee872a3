import { LoglikelihoodScorer } from "../engine/LoglikelihoodScorer.js";
import { runEvaluation } from "../eval/runEvaluation.js";
import { multipleChoiceDocument } from "../eval/tasks/multipleChoiceDocument.js";

const WORDS = ["the", "river", "carried", "a", "small", "boat", "past", "old", "mill", "while", "children", "watched", "from", "bridge"];
const text = (words: number, seed: number): string => Array.from({ length: words }, (_, i) => WORDS[(i * 5 + seed * 3) % WORDS.length]).join(" ");

/**
 * Documents per second of a HellaSwag-like 4-choice task (a 67-token context, four 16-token endings) scored as
 * `hermes eval` scores it, the four choices in one batch and `inFlight` documents at once (`--documents`). Returns
 * one figure per run.
 */
export async function evalDocumentsPerSecond(modelPath: string, threads: number, documents: number, runs: number, inFlight: number): Promise<number[]> {
  const scorer = await LoglikelihoodScorer.load({ modelPath, contextSize: 512, parallel: 4, documents: inFlight, threads });
  try {
    const rates: number[] = [];
    for (let run = 0; run < runs; run++) {
      const docs = Array.from({ length: documents }, (_, d) =>
        multipleChoiceDocument(`Run ${run} document ${d}: ${text(60, d)}`, [0, 1, 2, 3].map((c) => text(15, d * 4 + c)), 0),
      );
      const started = performance.now();
      await runEvaluation(scorer, "bench_4_choices", docs, false, () => {}, inFlight);
      rates.push((1000 * documents) / (performance.now() - started));
    }
    return rates;
  } finally {
    await scorer.dispose();
  }
}
