import { bigbenchArgmax } from "../bigbenchArgmax.js";
import { numpyPermutation } from "../numpyPermutation.js";
import type { TaskDocument } from "./TaskDocument.js";

/** The prompt settings of one BigBench task file (BIG-bench `task.json` keys). */
export interface BigbenchTaskSettings {
  task_prefix?: string;
  example_input_prefix?: string;
  example_output_prefix?: string;
  choice_prefix?: string;
  append_choices_to_input?: boolean;
}

/** One example; `target_scores` as [choice, score] pairs in the file's key order (JSON.parse would reorder "0", "1984"). */
export interface BigbenchExample {
  input: string;
  target_scores: ReadonlyArray<readonly [string, number]>;
}

/**
 * A BigBench document as lm-evaluation-harness builds it at 0-shot: task prefix, input prefix + input, the choices
 * (sorted, then shuffled by numpy's RandomState(42), when the task shows them), output prefix; one request per
 * choice in file order with no leading space; `multiple_choice_grade` is the score of the chosen choice.
 */
export function bigbenchDocument(settings: BigbenchTaskSettings, example: BigbenchExample): TaskDocument {
  const keys = example.target_scores.map(([key]) => key);
  const choicePrefix = settings.choice_prefix ?? "\n  choice: ";
  let context = (settings.task_prefix ?? "") + (settings.example_input_prefix ?? "\nQ: ") + example.input;
  if ((settings.append_choices_to_input ?? true) && keys.length > 0) {
    const sorted = [...keys].sort();
    context += choicePrefix + numpyPermutation(sorted.length, 42).map((i) => sorted[i]!).join(choicePrefix);
  }
  context += settings.example_output_prefix ?? "\nA: ";
  return {
    requests: keys.map((key) => ({ context, continuation: key })),
    gold: example.target_scores.flatMap(([, score], index) => (score > 0 ? [index] : [])),
    score: (loglikelihoods) => ({ multiple_choice_grade: example.target_scores[bigbenchArgmax(loglikelihoods)]![1] }),
  };
}
