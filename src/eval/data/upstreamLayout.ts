type Row = Record<string, unknown>;

/** A task's split in its dataset's original release: jsonl (one object per line), under `--data DIR`. */
export interface UpstreamSource {
  /** Where the file may be, relative to DIR (the archive's own folder names); the first is the one messages name. */
  paths: readonly string[];
  /** A file next to it with one label per line, in row order (PIQA keeps its labels apart). */
  labels?: string;
  /** Where the file comes from. */
  origin: string;
  /** The row in the Hugging Face dataset's fields, which the task reads. */
  toRow(row: Row, label: string | undefined): Row;
}

/** AI2's question object (`stem`, `choices[{text, label}]`) as the hub's `choices{text[], label[]}`. */
function ai2Choices(row: Row): { stem: string; choices: { text: string[]; label: string[] } } {
  const question = row.question as { stem: string; choices: Array<{ text: string; label: string }> };
  return {
    stem: question.stem,
    choices: { text: question.choices.map((c) => c.text), label: question.choices.map((c) => c.label) },
  };
}

const arc = (name: string): UpstreamSource => ({
  paths: [`ARC-V1-Feb2018/${name}/${name}-Test.jsonl`, `ARC-V1-Feb2018-2/${name}/${name}-Test.jsonl`],
  origin: "AI2's ARC-V1-Feb2018.zip",
  toRow: (row) => {
    const { stem, choices } = ai2Choices(row);
    return { question: stem, choices, answerKey: row.answerKey };
  },
});

/**
 * The raw upstream files eval-harness-spec §8 names as alternatives to the hub's Parquet, for the tasks that have
 * one (AGIEval has none that gives the harness's snapshot: its upstream files were revised after it was taken).
 */
export const upstreamLayout: Readonly<Record<string, UpstreamSource>> = {
  arc_challenge: arc("ARC-Challenge"),
  arc_easy: arc("ARC-Easy"),
  boolq: {
    paths: ["BoolQ/val.jsonl"],
    origin: "SuperGLUE's BoolQ.zip",
    toRow: (row) => ({ question: row.question, passage: row.passage, label: row.label }),
  },
  hellaswag: {
    paths: ["hellaswag/data/hellaswag_val.jsonl", "hellaswag_val.jsonl"],
    origin: "the rowanz/hellaswag GitHub repository, data/hellaswag_val.jsonl",
    toRow: (row) => row,
  },
  openbookqa: {
    paths: ["OpenBookQA-V1-Sep2018/Data/Main/test.jsonl"],
    origin: "AI2's OpenBookQA-V1-Sep2018.zip",
    toRow: (row) => {
      const { stem, choices } = ai2Choices(row);
      return { question_stem: stem, choices, answerKey: row.answerKey };
    },
  },
  piqa: {
    paths: ["physicaliqa-train-dev/dev.jsonl"],
    labels: "dev-labels.lst",
    origin: "the PIQA authors' physicaliqa-train-dev.zip",
    toRow: (row, label) => ({ goal: row.goal, sol1: row.sol1, sol2: row.sol2, label: label === undefined ? undefined : Number(label) }),
  },
  winogrande: {
    paths: ["winogrande_1.1/dev.jsonl"],
    origin: "AI2's winogrande_1.1.zip",
    toRow: (row) => ({ sentence: row.sentence, option1: row.option1, option2: row.option2, answer: row.answer === undefined ? undefined : String(row.answer) }),
  },
};
