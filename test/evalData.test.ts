import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { parquetWriteFile } from "hyparquet-writer";
import { findSplitFiles } from "../src/eval/data/findSplitFiles.js";
import { loadTaskDocuments } from "../src/eval/data/loadTaskDocuments.js";
import { parseOrderedJson } from "../src/eval/data/parseOrderedJson.js";
import { startTestServer, tinyModelPath } from "./helpers/testServer.js";

const bin = new URL("../../bin/hermes.cjs", import.meta.url).pathname;

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
  await assert.rejects(loadTaskDocuments(dataDir, "winogrande"), /has 2 documents where lm-evaluation-harness scored 1267/);
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

test("the upstream jsonl releases read as the hub's Parquet does: ARC, BoolQ, HellaSwag, OpenBookQA, PIQA (labels apart), WinoGrande", async () => {
  const upstream = mkdtempSync(join(os.tmpdir(), "hermes-eval-upstream-"));
  const writeJsonl = (relative: string, rows: unknown[]): void => {
    mkdirSync(dirname(join(upstream, relative)), { recursive: true });
    writeFileSync(join(upstream, relative), rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
  };
  try {
    writeJsonl("ARC-V1-Feb2018-2/ARC-Easy/ARC-Easy-Test.jsonl", [
      { id: "q1", question: { stem: "Which is a gas?", choices: [{ text: "ice", label: "A" }, { text: "steam", label: "B" }] }, answerKey: "B" },
    ]);
    const arc = (await loadTaskDocuments(upstream, "arc_easy", true)).documents[0]!;
    assert.deepEqual(arc.requests.map((r) => r.context + r.continuation), ["Question: Which is a gas?\nAnswer: ice", "Question: Which is a gas?\nAnswer: steam"]);
    assert.equal(arc.gold, 1);

    writeJsonl("BoolQ/val.jsonl", [{ question: "is the sky blue", passage: "The sky is blue.", idx: 0, label: true }]);
    const boolq = (await loadTaskDocuments(upstream, "boolq", true)).documents[0]!;
    assert.deepEqual(boolq.requests.map((r) => r.continuation), [" yes", " no"]);
    assert.equal(boolq.gold, 0);

    writeJsonl("hellaswag/data/hellaswag_val.jsonl", [
      { ind: 1, activity_label: "Cooking", ctx_a: "A man cracks eggs.", ctx_b: "he stirs them", ctx: "", endings: ["into a bowl.", "away."], label: 1 },
    ]);
    const hellaswag = (await loadTaskDocuments(upstream, "hellaswag", true)).documents[0]!;
    assert.equal(hellaswag.requests[0]!.context, "Cooking: A man cracks eggs. He stirs them");
    assert.equal(hellaswag.gold, 1);

    writeJsonl("OpenBookQA-V1-Sep2018/Data/Main/test.jsonl", [
      { id: "7-980", question: { stem: "The sun is responsible for", choices: [{ text: "puppies", label: "A" }, { text: "plants sprouting", label: "B" }] }, answerKey: "B" },
    ]);
    const openbookqa = (await loadTaskDocuments(upstream, "openbookqa", true)).documents[0]!;
    assert.deepEqual(openbookqa.requests.map((r) => r.context + r.continuation), ["The sun is responsible for puppies", "The sun is responsible for plants sprouting"]);
    assert.equal(openbookqa.gold, 1);

    writeJsonl("physicaliqa-train-dev/dev.jsonl", [
      { goal: "Open a jar", sol1: "Twist the lid.", sol2: "Kick the jar." },
      { goal: "Dry hair", sol1: "Use a stone.", sol2: "Use a towel." },
    ]);
    await assert.rejects(loadTaskDocuments(upstream, "piqa", true), /needs its labels next to it: .*dev-labels\.lst is missing/);
    writeFileSync(join(upstream, "physicaliqa-train-dev/dev-labels.lst"), "0\n");
    await assert.rejects(loadTaskDocuments(upstream, "piqa", true), /has 1 labels for the 2 rows/);
    writeFileSync(join(upstream, "physicaliqa-train-dev/dev-labels.lst"), "0\n1\n");
    const piqa = (await loadTaskDocuments(upstream, "piqa", true)).documents;
    assert.deepEqual(piqa.map((d) => d.gold), [0, 1]);
    assert.equal(piqa[1]!.requests[1]!.context, "Question: Dry hair\nAnswer:");

    writeJsonl("winogrande_1.1/dev.jsonl", [{ qID: "x-1", sentence: "He put the _ in the box.", option1: "book", option2: "box", answer: "2" }]);
    const winogrande = (await loadTaskDocuments(upstream, "winogrande", true)).documents[0]!;
    assert.deepEqual(winogrande.requests, [
      { context: "He put the book", continuation: " in the box." },
      { context: "He put the box", continuation: " in the box." },
    ]);
    assert.deepEqual(winogrande.score([-2, -1]), { acc: 1 });

    writeFileSync(join(upstream, "winogrande_1.1/dev.jsonl"), "{not json\n");
    await assert.rejects(loadTaskDocuments(upstream, "winogrande", true), /dev\.jsonl, line 1: not a JSON object/);
    // neither layout: the error names the Parquet file and the upstream one
    assert.throws(
      () => findSplitFiles(join(upstream, "empty"), "boolq"),
      (error: Error) => error.message.includes("boolq/validation-00000-of-00001.parquet") && error.message.includes(join("BoolQ", "val.jsonl")),
    );
  } finally {
    rmSync(upstream, { recursive: true, force: true });
  }
});

test("a file of another dataset is refused with the row and the missing fields", async () => {
  writeParquet("baber__piqa/data/validation-00000-of-00001.parquet", [{ name: "goal", data: ["Open a jar"], type: "STRING" }]);
  await assert.rejects(loadTaskDocuments(dataDir, "piqa", true), /row 0: no sol1, sol2, label/);
});

test("BigBench task files: settings, examples de-duplicated in order, target_scores in file order (integer-like keys too)", async () => {
  const file = join(dataDir, "bigbench", "movie_recommendation.json");
  mkdirSync(dirname(file), { recursive: true });
  const example = '{"input": "Find a movie similar to Heat", "target_scores": {"Zodiac": 0, "1984": 1, "Alien": 0, "0": 0}}';
  writeFileSync(
    file,
    `{"name": "movie_recommendation", "example_input_prefix": "\\n\\nFind a movie similar to ", "example_output_prefix": "\\n",
      "examples": [${example}, {"input": "Up", "target_scores": {"a": 1, "b": 0}}, ${example}]}`,
  );
  const loaded = await loadTaskDocuments(dataDir, "bigbench_movie_recommendation", true);
  assert.equal(loaded.documents.length, 2, "the repeated example counts once");
  const first = loaded.documents[0]!;
  assert.deepEqual(first.requests.map((r) => r.continuation), ["Zodiac", "1984", "Alien", "0"]);
  // choices shown sorted then shuffled (numpy permutation of 4: [1, 3, 0, 2] over 0, 1984, Alien, Zodiac)
  assert.equal(first.requests[0]!.context, "\n\nFind a movie similar to Find a movie similar to Heat\n  choice: 1984\n  choice: Zodiac\n  choice: 0\n  choice: Alien\n");
  assert.deepEqual(first.score([-5, -1, -5, -5]), { multiple_choice_grade: 1 });
  assert.throws(() => findSplitFiles(dataDir, "bigbench_navigate"), /unknown task/);
  await assert.rejects(loadTaskDocuments(dataDir, "bigbench_navigate", true), /bigbench[/\\]navigate\.json/);
});

test("a BigBench file that is not a task file, or an example without its fields, is refused naming it", async () => {
  mkdirSync(join(dataDir, "bigbench"), { recursive: true });
  writeFileSync(join(dataDir, "bigbench", "snarks.json"), '{"name": "snarks"}');
  await assert.rejects(loadTaskDocuments(dataDir, "bigbench_snarks", true), /snarks\.json: not a BIG-bench task file/);
  writeFileSync(join(dataDir, "bigbench", "snarks.json"), '{"examples": [{"input": "x", "target_scores": {"a": 1}}, {"input": "y"}]}');
  await assert.rejects(loadTaskDocuments(dataDir, "bigbench_snarks", true), /snarks\.json, example 1: no input or target_scores/);
});

test("the ordered JSON parser keeps key order, handles escapes, and rejects malformed text", () => {
  const parsed = parseOrderedJson('{"b": [1, -2.5e3, true, null], "10": "x\\u00e9\\n", "a": {}}');
  assert.ok(parsed instanceof Map);
  assert.deepEqual([...parsed.keys()], ["b", "10", "a"]);
  assert.deepEqual(parsed.get("b"), [1, -2500, true, null]);
  assert.equal(parsed.get("10"), "xé\n");
  assert.throws(() => parseOrderedJson('{"a": 1,}'), SyntaxError);
  assert.throws(() => parseOrderedJson('{"a": 1} x'), /after the value/);
});

/** Sample data of three tasks: ARC-Easy (2 documents), BigBench navigate (2) and geometric_shapes (1, generative). */
function writeSampleTasks(): void {
  writeParquet("allenai__ai2_arc/ARC-Easy/test-00000-of-00001.parquet", [
    { name: "question", data: ["Which is warm?", "Which can fly?"], type: "STRING" },
    { name: "choices", data: [{ text: ["snow", "fire"], label: ["A", "B"] }, { text: ["a bird", "a stone", "a fish"], label: ["A", "B", "C"] }] },
    { name: "answerKey", data: ["B", "A"], type: "STRING" },
  ]);
  const navigate = join(dataDir, "bigbench", "navigate.json");
  mkdirSync(dirname(navigate), { recursive: true });
  writeFileSync(
    navigate,
    JSON.stringify({
      task_prefix: "If you follow these instructions, do you return to the starting point?",
      append_choices_to_input: false,
      examples: [
        { input: "Take 1 step. Turn around. Take 1 step.", target_scores: { True: 1, False: 0 } },
        { input: "Take 2 steps. Turn left.", target_scores: { True: 0, False: 1 } },
      ],
    }),
  );
  writeFileSync(
    join(dataDir, "bigbench", "geometric_shapes.json"),
    JSON.stringify({
      metrics: ["multiple_choice_grade", "exact_str_match"],
      examples: [{ input: "This SVG path draws a", target_scores: { circle: 1, square: 0 }, target: "circle" }],
    }),
  );
}
const sampleTasks = "arc_easy,bigbench_navigate,bigbench_geometric_shapes";

/** Runs `hermes eval` with `args`; resolves with its exit code and stdout. */
async function runEval(args: string[]): Promise<{ code: unknown; stdout: string }> {
  const child = spawn(process.execPath, [bin, "eval", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  return { code: await new Promise((resolve) => child.once("exit", resolve)), stdout };
}

interface Report {
  model: string;
  results: Array<{
    task: string;
    documents: number;
    metrics: Record<string, { value: number }>;
    records: Array<{ requests: unknown[]; loglikelihoods: number[]; greedy: boolean[]; gold: unknown; generation?: string }>;
  }>;
}

test("hermes eval scores sample data end to end: the cards' table format, averages only for whole suites, JSON records", async () => {
  writeSampleTasks();
  const out = join(dataDir, "results.json");
  const { code, stdout } = await runEval(["--model", tinyModelPath(), "--tasks", sampleTasks, "--data", dataDir, "--allow-subset", "--out", out, "--parallel", "2", "--threads", "1"]);
  assert.equal(code, 0);
  assert.match(stdout, /\|  Task  \|Version\| Metric \|Value \|   \|Stderr\|\n\|--------\|------:\|--------\|-----:\|---\|-----:\|\n\|arc_easy\|      0\|acc     \|0\.\d{4}\|±  \|\d\.\d{4}\|/);
  assert.match(stdout, /\|bigbench_navigate +\|      0\|multiple_choice_grade\|0\.\d{4}\|±  \|\d\.\d{4}\|/);
  // one document: no standard error, so the ± column stays empty
  assert.match(stdout, /\|bigbench_geometric_shapes\|      0\|multiple_choice_grade\|[01]\.0000\|   \|      \|\n\| +\| +\|exact_str_match +\|[01]\.0000\|   \|      \|/);
  assert.doesNotMatch(stdout, /Average/, "no suite is complete");
  assert.match(stdout, /NOT COMPARABLE with the model cards \(subset of the data\): arc_easy, bigbench_geometric_shapes, bigbench_navigate/);
  const report = JSON.parse(readFileSync(out, "utf8")) as Report;
  assert.deepEqual(report.results.map((r) => [r.task, r.documents]), [["arc_easy", 2], ["bigbench_geometric_shapes", 1], ["bigbench_navigate", 2]]);
  assert.equal(typeof (report.results[1]!.records[0] as { generation?: unknown }).generation, "string");
  const record = report.results[0]!.records[1]!;
  assert.equal(record.requests.length, 3);
  assert.equal(record.loglikelihoods.length, 3);
  assert.ok(record.loglikelihoods.every((ll) => ll < 0));
  assert.equal(record.gold, 0);
  assert.deepEqual(report.results[2]!.records[1]!.gold, [1]);

  // --limit 1 scores the document the harness's --limit picks: random.Random(42) orders [doc 0, doc 1] as [1, 0]
  const limitedOut = join(dataDir, "limited.json");
  const limited = await runEval(["--model", tinyModelPath(), "--tasks", "arc_easy", "--data", dataDir, "--limit", "1", "--out", limitedOut, "--threads", "1"]);
  assert.equal(limited.code, 0);
  assert.match(limited.stdout, /NOT COMPARABLE with the model cards \(subset of the data\): arc_easy/);
  const limitedReport = JSON.parse(readFileSync(limitedOut, "utf8")) as Report;
  assert.equal(limitedReport.results[0]!.documents, 1);
  assert.equal((limitedReport.results[0]!.records[0]!.requests[0] as { context: string }).context, "Question: Which can fly?\nAnswer:");
});

test("the same numbers with documents scored concurrently, and through a running server with --target", async () => {
  writeSampleTasks();
  const common = ["--tasks", sampleTasks, "--data", dataDir, "--allow-subset"];
  const sequential = join(dataDir, "sequential.json");
  const concurrent = join(dataDir, "concurrent.json");
  const remote = join(dataDir, "remote.json");
  assert.equal((await runEval(["--model", tinyModelPath(), ...common, "--out", sequential, "--threads", "1"])).code, 0);
  assert.equal((await runEval(["--model", tinyModelPath(), ...common, "--out", concurrent, "--threads", "1", "--documents", "2", "--parallel", "1"])).code, 0);
  const server = await startTestServer({ parallel: 4 });
  try {
    const run = await runEval(["--target", `${server.url}/v1`, ...common, "--out", remote]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /\|arc_easy\|      0\|acc     \|0\.\d{4}\|±  \|\d\.\d{4}\|/);
  } finally {
    await server.close();
  }
  const [expected, ...others] = [sequential, concurrent, remote].map((file) => JSON.parse(readFileSync(file, "utf8")) as Report);
  assert.match(others[1]!.model, /at http:\/\/127\.0\.0\.1:\d+\/v1$/);
  for (const report of others) {
    assert.deepEqual(report.results.map((r) => [r.task, r.documents]), expected!.results.map((r) => [r.task, r.documents]));
    report.results.forEach((result, t) => {
      const reference = expected!.results[t]!;
      assert.deepEqual(result.metrics, reference.metrics, result.task);
      result.records.forEach((record, d) => {
        const want = reference.records[d]!;
        assert.deepEqual(record.requests, want.requests);
        assert.deepEqual(record.greedy, want.greedy);
        assert.equal(record.generation, want.generation);
        record.loglikelihoods.forEach((ll, i) => assert.ok(Math.abs(ll - want.loglikelihoods[i]!) < 1e-3, `${result.task} ${d}.${i}: ${ll} vs ${want.loglikelihoods[i]}`));
      });
    });
  }
});
