import { scoreChoices } from "../scoreChoices.js";
import type { TaskDocument } from "./TaskDocument.js";

/**
 * The harness's `MultipleChoiceTask` at 0-shot: the context, one request per choice with `" " + choice` as the
 * continuation, and `acc` / `acc_norm` (per character of the raw choice).
 */
export function multipleChoiceDocument(context: string, choices: readonly string[], gold: number | readonly number[]): TaskDocument {
  return {
    requests: choices.map((choice) => ({ context, continuation: ` ${choice}` })),
    gold,
    score: (loglikelihoods) => scoreChoices(loglikelihoods, choices, gold),
  };
}
