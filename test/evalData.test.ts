import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { parquetWriteFile } from "hyparquet-writer";
import { findSplitFiles } from "../src/eval/data/findSplitFiles.js";
import { loadTaskDocuments } from "../src/eval/data/loadTaskDocuments.js";

const dataDir = mkdtempSync(join(os.tmpdir(), "hermes-eval-data-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** Writes a Parquet file as the hub has them (snappy, the hub's column types) at `relative` under the data dir. */
function writeParquet(relative: string, columns: Array<{ name: string; data: unknown[]; type?: string }>): void {
  const filename = join(dataDir, relative);
  mkdirSync(dirname(filename), { recursive: true });
  parquetWriteFile({ filename, columnData: columns as never });
}

test("a missing split is an error naming the file expected and the dataset it comes from", () => {
  assert.throws(
    () => findSplitFiles(dataDir, "winogrande"),
    (error: Error) => error.message.includes(join(dataDir, "allenai__winogrande", "winogrande_xl", "validation-00000-of-00001.parquet")) &&
      error.message.includes("allenai/winogrande"),
  );
});

test("winogrande rows become partial-scoring documents; a row count other than the harness's n needs --allow-subset", async () => {
  writeParquet("allenai__winogrande/winogrande_xl/validation-00000-of-00001.parquet", [
    { name: "sentence", data: ["Sarah was a much better surgeon than Maria so _ always got the harder cases.", "He put the _ in the box."], type: "STRING" },
    { name: "option1", data: ["Sarah", "book"], type: "STRING" },
    { name: "option2", data: ["Maria", "box"], type: "STRING" },
    { name: "answer", data: ["1", "1"], type: "STRING" },
  ]);
  await assert.rejects(loadTaskDocuments(dataDir, "winogrande"), /has 2 rows where lm-evaluation-harness scored 1267/);
  const loaded = await loadTaskDocuments(dataDir, "winogrande", true);
  assert.equal(loaded.comparable, false);
  assert.deepEqual(loaded.documents[0]!.requests, [
    { context: "Sarah was a much better surgeon than Maria so Sarah", continuation: " always got the harder cases." },
    { context: "Sarah was a much better surgeon than Maria so Maria", continuation: " always got the harder cases." },
  ]);
});

test("arc rows with the hub's nested choices struct, numeric answer keys included", async () => {
  writeParquet("allenai__ai2_arc/ARC-Challenge/test-00000-of-00001.parquet", [
    { name: "id", data: ["q1", "q2"], type: "STRING" },
    { name: "question", data: ["Which is a gas?", "Pick the metal."], type: "STRING" },
    { name: "choices", data: [{ text: ["ice", "steam", "wood"], label: ["A", "B", "C"] }, { text: ["iron", "glass"], label: ["1", "2"] }] },
    { name: "answerKey", data: ["B", "1"], type: "STRING" },
  ]);
  const { documents } = await loadTaskDocuments(dataDir, "arc_challenge", true);
  assert.deepEqual(documents[0]!.requests.map((r) => r.context + r.continuation), [
    "Question: Which is a gas?\nAnswer: ice",
    "Question: Which is a gas?\nAnswer: steam",
    "Question: Which is a gas?\nAnswer: wood",
  ]);
  assert.deepEqual(documents[1]!.score([-1, -5]), { acc: 1, acc_norm: 1 }, 'answer key "1" is the first choice');
});

test("agieval rows: 64-bit gold indices arrive as numbers; hellaswag from the refs/convert/parquet layout", async () => {
  writeParquet("dmayhem93__agieval-sat-math/data/test-00000-of-00001-3b9d5a4d97289b40.parquet", [
    { name: "query", data: ["Q: 2+2? Answer Choices: (A)3 (B)4\nA: Among A through B, the answer is"], type: "STRING" },
    { name: "choices", data: [["(A)3", "(B)4"]] },
    { name: "gold", data: [[1n]] },
  ]);
  const agieval = await loadTaskDocuments(dataDir, "agieval_sat_math", true);
  assert.deepEqual(agieval.documents[0]!.score([-3, -1]), { acc: 1, acc_norm: 1 });

  writeParquet("Rowan__hellaswag/default/validation/0000.parquet", [
    { name: "activity_label", data: ["Cooking"], type: "STRING" },
    { name: "ctx_a", data: ["A man cracks eggs."], type: "STRING" },
    { name: "ctx_b", data: ["he STIRS them"], type: "STRING" },
    { name: "endings", data: [["into a bowl.", "[title] loudly.", "away.", "up."]] },
    { name: "label", data: ["0"], type: "STRING" },
  ]);
  const hellaswag = await loadTaskDocuments(dataDir, "hellaswag", true);
  // "[title]" at the start has no leading space, so it is dropped like any tag (not turned into ". ")
  assert.deepEqual(hellaswag.documents[0]!.requests[1], { context: "Cooking: A man cracks eggs. He stirs them", continuation: "  loudly." });
});

test("a file of another dataset is refused with the row and the missing fields", async () => {
  writeParquet("baber__piqa/data/validation-00000-of-00001.parquet", [{ name: "goal", data: ["Open a jar"], type: "STRING" }]);
  await assert.rejects(loadTaskDocuments(dataDir, "piqa", true), /row 0: no sol1, sol2, label/);
});
