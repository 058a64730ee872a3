import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { bigbenchArgmax } from "../../src/eval/bigbenchArgmax.js";
import { mean, meanStderr } from "../../src/eval/meanStderr.js";
import { renderResultsTable, type ResultRow } from "../../src/eval/renderResultsTable.js";
import { argmaxFirst, codePointLength, scoreChoices } from "../../src/eval/scoreChoices.js";
import { suiteAverages } from "../../src/eval/suiteAverages.js";
import { taskSizes } from "../../src/eval/taskSizes.js";

interface CardRow {
  task: string;
  metric: string;
  value: string;
  stderr: string;
}
const cards = JSON.parse(readFileSync(new URL("../../../test/fixtures/model-card-tables.json", import.meta.url), "utf8")) as {
  "7b": CardRow[];
  "13b": CardRow[];
  tables7b: string[];
};

/** A 0/1 vector with `k` ones out of `n`. */
const outcomes = (k: number, n: number): number[] => Array.from({ length: n }, (_, i) => (i < k ? 1 : 0));

test("mean and the harness's standard error (sample stddev / √n) on hand-computed cases", () => {
  assert.equal(mean([1, 0, 1, 1]), 0.75);
  // sample variance of [1,0,1,1] = (3·0.0625 + 0.5625)/3 = 0.25 → stderr = 0.5/2
  assert.equal(meanStderr([1, 0, 1, 1]), 0.25);
  assert.ok(Math.abs(meanStderr([1, 0, 1, 1]) - Math.sqrt((0.75 * 0.25) / 3)) < 1e-15, "√(p(1−p)/(n−1)) for 0/1 values");
  assert.equal(meanStderr([0, 0, 0]), 0);
  assert.ok(Math.abs(meanStderr([0.5, 1, 0]) - Math.sqrt(0.25 / 3)) < 1e-15, "non-binary values use the general formula");
  assert.ok(Number.isNaN(meanStderr([1])));
});

for (const card of ["7b", "13b"] as const) {
  test(`every row of the ${card} card: value = k/n and its stderr, from the task's n alone`, () => {
    assert.equal(cards[card].length, 47);
    for (const row of cards[card]) {
      const n = taskSizes[row.task];
      assert.ok(n !== undefined, `n of ${row.task}`);
      const k = Math.round(Number(row.value) * n);
      const values = outcomes(k, n);
      assert.equal(mean(values).toFixed(4), row.value, `${row.task} ${row.metric} value`);
      assert.equal(meanStderr(values).toFixed(4), row.stderr, `${row.task} ${row.metric} stderr`);
    }
  });
}

const valuesOf = (rows: readonly CardRow[]): Record<string, Record<string, number>> => {
  const values: Record<string, Record<string, number>> = {};
  for (const row of rows) (values[row.task] ??= {})[row.metric] = Number(row.value);
  return values;
};

test("suite averages as the cards compute them (unweighted; acc_norm else acc; BigBench without exact_str_match)", () => {
  const seven = suiteAverages(valuesOf(cards["7b"]));
  assert.equal(seven.gpt4all?.toFixed(3), "0.686");
  assert.equal(seven.agieval?.toFixed(4), "0.2975");
  assert.equal(seven.bigbench?.toFixed(4), "0.3525");
  const thirteen = suiteAverages(valuesOf(cards["13b"]));
  assert.equal(thirteen.gpt4all?.toFixed(3), "0.700");
  // the 13B card prints these two with their labels swapped (0.3657 "BigBench", 0.372 "AGIEval")
  assert.equal(thirteen.agieval?.toFixed(4), "0.3657");
  assert.equal(thirteen.bigbench?.toFixed(4), "0.3719");
  assert.deepEqual(suiteAverages({ arc_easy: { acc: 1 } }), {}, "an incomplete suite has no average");
});

test("the results table reproduces the 7B card's three tables byte for byte", () => {
  const rows = cards["7b"].map((row): ResultRow => ({
    task: row.task,
    version: row.task === "boolq" ? 1 : 0,
    metric: row.metric,
    value: Number(row.value),
    stderr: Number(row.stderr),
  }));
  const suites = [
    rows.filter((row) => !row.task.startsWith("bigbench_") && !row.task.startsWith("agieval_")),
    rows.filter((row) => row.task.startsWith("bigbench_")),
    rows.filter((row) => row.task.startsWith("agieval_")),
  ];
  suites.forEach((suite, i) => assert.equal(renderResultsTable(suite), cards.tables7b[i]));
});

test("acc and acc_norm: first index wins ties; acc_norm divides by code points of the raw choice", () => {
  assert.equal(argmaxFirst([-1, -0.5, -0.5]), 1);
  assert.equal(codePointLength("(A)5(√3 + 1)"), 12);
  assert.equal(codePointLength("a😀"), 2, "an astral character is one code point (two UTF-16 units)");
  // choice 1 has the best sum; per character choice 0 wins (−4/8 = −0.5 > −3/2 = −1.5)
  assert.deepEqual(scoreChoices([-4, -3], ["abcdefgh", "ab"], 0), { acc: 0, acc_norm: 1 });
  assert.deepEqual(scoreChoices([-4, -3], ["abcdefgh", "ab"], 1), { acc: 1, acc_norm: 0 });
  // an exact tie goes to the first choice
  assert.deepEqual(scoreChoices([-2, -2], ["xx", "yy"], 0), { acc: 1, acc_norm: 1 });
  // AGIEval: gold is a list of right indices
  assert.deepEqual(scoreChoices([-9, -1, -5], ["(A)a", "(B)b", "(C)c"], [1, 2]), { acc: 1, acc_norm: 1 });
  // per code point "😀😀" (2 long) scores −3/2 = −1.5 and loses to "abcd" (−1.6/4 = −0.4); counted in UTF-16 units
  // (4) it would be −0.75, and by summed log-likelihood it loses too: both metrics say choice 1
  assert.deepEqual(scoreChoices([-3, -1.6], ["😀😀", "abcd"], 1), { acc: 1, acc_norm: 1 });
  // here only the code-point count decides: −2/2 = −1 (code points) vs −2.2/4 = −0.55 → choice 1; in UTF-16 units
  // "😀😀" would score −2/4 = −0.5 and win
  assert.equal(scoreChoices([-2, -2.2], ["😀😀", "abcd"], 1).acc_norm, 1);
});

test("BigBench argmax: the single maximum, or the SHA-256 tie-break over the float64 bytes", () => {
  assert.equal(bigbenchArgmax([-3, -1, -2]), 1);
  // expected indices computed independently in Python:
  // tied[int(hashlib.sha256(struct.pack("<%dd" % len(v), *v)).hexdigest(), 16) % len(tied)]
  assert.equal(bigbenchArgmax([-1, -1, -2]), 1);
  assert.equal(bigbenchArgmax([-0.5, -3, -0.5, -0.5]), 0);
  assert.equal(bigbenchArgmax([-2.25, -2.25]), 1);
});
