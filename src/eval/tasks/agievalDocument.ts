import { multipleChoiceDocument } from "./multipleChoiceDocument.js";
import type { TaskDocument } from "./TaskDocument.js";

/**
 * An AGIEval document (dmayhem93/agieval-<name>, test): the zero-shot `query` verbatim as the context, `" " + choice`
 * for each option (letter included, e.g. " (A)5(√3 + 1)"), and `gold` a list of right indices.
 */
export function agievalDocument(row: { query: string; choices: readonly string[]; gold: readonly number[] }): TaskDocument {
  return multipleChoiceDocument(row.query, row.choices, row.gold);
}
