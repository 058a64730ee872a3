import { taskSizes } from "../taskSizes.js";
import { agievalDocument } from "../tasks/agievalDocument.js";
import { bigbenchDocument } from "../tasks/bigbenchDocument.js";
import { gpt4allDocuments } from "../tasks/gpt4allDocuments.js";
import type { TaskDocument } from "../tasks/TaskDocument.js";
import { findSplitFiles } from "./findSplitFiles.js";
import { loadBigbenchExamples } from "./loadBigbenchExamples.js";
import { readParquetRows } from "./readParquetRows.js";
import { readUpstreamRows } from "./readUpstreamRows.js";
import { upstreamLayout } from "./upstreamLayout.js";

type Row = Record<string, unknown>;

/** For each Parquet-backed task: the fields its rows must have, and the document built from a row. */
const builders: Record<string, { fields: readonly string[]; build: (row: Row) => TaskDocument }> = {
  arc_challenge: { fields: ["question", "choices", "answerKey"], build: (row) => gpt4allDocuments.arc(row as never) },
  arc_easy: { fields: ["question", "choices", "answerKey"], build: (row) => gpt4allDocuments.arc(row as never) },
  boolq: { fields: ["passage", "question", "label"], build: (row) => gpt4allDocuments.boolq(row as never) },
  hellaswag: { fields: ["activity_label", "ctx_a", "ctx_b", "endings", "label"], build: (row) => gpt4allDocuments.hellaswag(row as never) },
  openbookqa: { fields: ["question_stem", "choices", "answerKey"], build: (row) => gpt4allDocuments.openbookqa(row as never) },
  piqa: { fields: ["goal", "sol1", "sol2", "label"], build: (row) => gpt4allDocuments.piqa(row as never) },
  winogrande: { fields: ["sentence", "option1", "option2", "answer"], build: (row) => gpt4allDocuments.winogrande(row as never) },
};
const agieval = { fields: ["query", "choices", "gold"], build: (row: Row) => agievalDocument(row as never) };

export interface LoadedTask {
  documents: TaskDocument[];
  /** False when the split has another number of rows than the harness scored: the numbers are not the cards'. */
  comparable: boolean;
}

/**
 * Reads a task's split from `dataDir` (the hub's Parquet, or the upstream jsonl where there is one) and builds its
 * documents. A row count other than the harness's n is an error, unless `allowSubset` (then the task is marked not
 * comparable).
 */
export async function loadTaskDocuments(dataDir: string, task: string, allowSubset = false): Promise<LoadedTask> {
  if (task.startsWith("bigbench_")) {
    const { settings, examples } = loadBigbenchExamples(dataDir, task);
    return checked(task, examples.map((example) => bigbenchDocument(settings, example)), allowSubset);
  }
  const builder = task.startsWith("agieval_") ? agieval : builders[task];
  if (builder === undefined) throw new Error(`unknown task '${task}'`);
  const upstream = upstreamLayout[task];
  const files = upstream ? readUpstreamRows(dataDir, upstream) : undefined;
  const parts = files ? [files] : await Promise.all(findSplitFiles(dataDir, task).map(async (file) => ({ file, rows: await readParquetRows(file) })));
  const rows: Row[] = [];
  for (const { file, rows: fileRows } of parts) {
    fileRows.forEach((row, index) => {
      const missing = builder.fields.filter((field) => row[field] === undefined || row[field] === null);
      if (missing.length > 0) throw new Error(`${file}, row ${index}: no ${missing.join(", ")} (is this the right dataset?)`);
    });
    rows.push(...fileRows);
  }
  return checked(task, rows.map(builder.build), allowSubset);
}

function checked(task: string, documents: TaskDocument[], allowSubset: boolean): LoadedTask {
  const expected = taskSizes[task];
  if (expected === undefined) throw new Error(`unknown task '${task}'`);
  if (documents.length !== expected && !allowSubset) {
    throw new Error(
      `${task}: the data has ${documents.length} documents where lm-evaluation-harness scored ${expected}; ` +
        "its numbers would not be comparable with the model cards (--allow-subset runs it anyway, marked as such)",
    );
  }
  return { documents, comparable: documents.length === expected };
}
