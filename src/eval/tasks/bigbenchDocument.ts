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
  /** The file's metrics; "exact_str_match" adds a greedy generation scored against the example's `target`. */
  metrics?: readonly string[];
  output_regex?: string;
  stop_string?: string;
}

/** One example; `target_scores` as [choice, score] pairs in the file's key order (JSON.parse would reorder "0", "1984"). */
export interface BigbenchExample {
  input: string;
  target_scores: ReadonlyArray<readonly [string, number]>;
  /** The exact answer text, for exact_str_match. */
  target?: string;
}

/** How many characters of a generation exact_str_match looks at, and the tokens generated for it. */
const GENERATION_LIMIT = 128;

/**
 * BigBench's `_postprocess_output`: the first 128 characters, cut after the stop string when it occurs past the
 * start, then the first match of the output regex (default: a run of characters other than . ? ! ; and newline).
 */
export function postprocessGeneration(text: string, settings: BigbenchTaskSettings): string {
  let output = [...text].slice(0, GENERATION_LIMIT).join("");
  if (settings.stop_string) {
    const at = output.indexOf(settings.stop_string);
    if (at > 0) output = output.slice(0, at + settings.stop_string.length);
  }
  // Python regex syntax; these escapes mean the same in a JavaScript regex without the "u" flag
  const match = new RegExp(settings.output_regex ?? "[^\\.\\?\\!\\;\\n]+").exec(output);
  return match?.[0] ?? "";
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
  const exact = settings.metrics?.includes("exact_str_match") === true;
  return {
    requests: keys.map((key) => ({ context, continuation: key })),
    gold: example.target_scores.flatMap(([, score], index) => (score > 0 ? [index] : [])),
    ...(exact ? { generate: { context, maxTokens: GENERATION_LIMIT } } : {}),
    score: (loglikelihoods, generation) => ({
      multiple_choice_grade: example.target_scores[bigbenchArgmax(loglikelihoods)]![1],
      ...(exact ? { exact_str_match: postprocessGeneration(generation ?? "", settings) === example.target ? 1 : 0 } : {}),
    }),
  };
}
