import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { LoglikelihoodScorer } from "../engine/LoglikelihoodScorer.js";
import { HttpContinuationScorer } from "../eval/HttpContinuationScorer.js";
import { loadTaskDocuments } from "../eval/data/loadTaskDocuments.js";
import { evalSuites, expandTasks } from "../eval/evalSuites.js";
import { pythonShuffle } from "../eval/pythonShuffle.js";
import { renderResultsTable } from "../eval/renderResultsTable.js";
import { resultRows, runEvaluation, type ContinuationScorer, type TaskResult } from "../eval/runEvaluation.js";
import { suiteAverages } from "../eval/suiteAverages.js";
import type { TaskDocument } from "../eval/tasks/TaskDocument.js";
import { describeThreads } from "./describeThreads.js";
import { ProgressBar } from "./ProgressBar.js";
import { modelStoreOptions, modelStoreUsage, resolveModelFlag } from "./resolveModelFlag.js";
import { numberFlag } from "./numberFlag.js";
import { threadsFlags, threadsUsage } from "./threadsFlags.js";

export const evalUsage = `hermes eval --model MODEL --tasks gpt4all,agieval,bigbench|TASK,... --data DIR [options]
hermes eval --target http://HOST:PORT/v1 --tasks ... --data DIR [options]

Scores the model on the model cards' benchmarks exactly as EleutherAI's lm-evaluation-harness (v0.3) did:
0-shot log-likelihood of each choice, acc / acc_norm / multiple_choice_grade, the harness's standard errors, and
the cards' averages. Prints the cards' tables.

  --model MODEL       a GGUF file, hf:OWNER/REPO:QUANT, hf:OWNER/REPO/FILE.gguf, a URL or a short name (see 'hermes pull')
${modelStoreUsage}
  --data DIR          datasets as downloaded from the Hugging Face hub, DIR/<owner>__<name>/..., and the BigBench
                      task files as DIR/bigbench/<task>.json (see README: Evaluation)
  --limit N           score N documents of each task, the ones lm-evaluation-harness's --limit picks (its
                      random.Random(42) order); not comparable with the cards
  --allow-subset      accept data whose row count differs from the harness's (marked not comparable)
  --out FILE          also write the results with every document's requests, log-likelihoods and gold as JSON
  --target URL        score through a running hermes-serve (its completions with echo + logprobs, and /tokenize)
                      instead of loading the model here
  --api-key KEY       the server's key, with --target
  --documents N       documents scored at once (default 1 here, 4 with --target: the server's slots batch them)
  --parallel N        choices scored together in one batch (default 4; in this process)
${threadsUsage("(both flags: in this process, not with --target)")}`;

export async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      tasks: { type: "string" },
      data: { type: "string" },
      limit: { type: "string" },
      "allow-subset": { type: "boolean", default: false },
      out: { type: "string" },
      target: { type: "string" },
      "api-key": { type: "string" },
      documents: { type: "string" },
      parallel: { type: "string", default: "4" },
      threads: { type: "string" },
      "threads-batch": { type: "string" },
      ...modelStoreOptions,
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(evalUsage);
    return 0;
  }
  if ((!values.model && !values.target) || !values.tasks || !values.data) {
    throw new Error(`--model (or --target), --tasks and --data are required\n\n${evalUsage}`);
  }
  if (values.model && values.target) throw new Error("--model and --target exclude each other: score here, or through the server");
  const modelPath = values.model ? (await resolveModelFlag(values.model, values)).path : undefined;
  if (!existsSync(values.data)) throw new Error(`data directory not found: ${values.data}`);
  const tasks = expandTasks(values.tasks);
  const limit = numberFlag(values.limit, "--limit", "positive");
  const parallel = numberFlag(values.parallel, "--parallel", "positive")!;
  const threads = threadsFlags(values.threads, values["threads-batch"]);
  const inFlight = numberFlag(values.documents, "--documents", "positive") ?? (values.target ? 4 : 1);

  // every task's data is read and checked before the model is loaded: a missing file fails in seconds
  const loaded: Array<{ task: string; documents: TaskDocument[]; comparable: boolean }> = [];
  for (const task of tasks) {
    const { documents, comparable } = await loadTaskDocuments(values.data, task, values["allow-subset"] || limit !== undefined);
    // the harness shuffles each task's documents with random.Random(42) and takes the first N of that order
    const kept = limit === undefined ? documents : pythonShuffle(documents, 42).slice(0, limit);
    loaded.push({ task, documents: kept, comparable: comparable && kept.length === documents.length });
  }

  let scorer: ContinuationScorer & { dispose?: () => Promise<void> };
  let modelName: string;
  if (values.target) {
    const remote = await HttpContinuationScorer.connect(values.target, values["api-key"]);
    scorer = remote;
    modelName = `${remote.model} at ${values.target}`;
  } else {
    // the longest request of these tasks is ~1.5k tokens (LSAT-RC passages); 2048 keeps the KV cache small
    const local = await LoglikelihoodScorer.load({ modelPath: modelPath!, contextSize: 2048, parallel, documents: inFlight, ...threads });
    console.error(`${values.model}: ${describeThreads(local.threads, 1)}`);
    scorer = local;
    modelName = values.model!;
  }
  const results: TaskResult[] = [];
  try {
    const total = loaded.reduce((sum, task) => sum + task.documents.length, 0);
    const progress = new ProgressBar("eval");
    const started = Date.now();
    let done = 0;
    for (const { task, documents, comparable } of loaded) {
      results.push(
        await runEvaluation(scorer, task, documents, comparable, () => {
          done++;
          const rate = done / ((Date.now() - started) / 1000);
          progress.update(done / total, `${done}/${total} documents, ${rate.toFixed(1)}/s, ${task}`);
        }, inFlight),
      );
    }
    progress.done(`scored ${total} documents in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await scorer.dispose?.();
  }

  const taskValues: Record<string, Record<string, number>> = {};
  for (const result of results) taskValues[result.task] = Object.fromEntries(Object.entries(result.metrics).map(([m, v]) => [m, v.value]));
  const averages = suiteAverages(taskValues);
  for (const [suite, members] of Object.entries(evalSuites)) {
    const inSuite = results.filter((result) => members.includes(result.task));
    if (inSuite.length === 0) continue;
    console.log(`\n${suite}:\n${renderResultsTable(inSuite.flatMap(resultRows))}`);
    const average = averages[suite as keyof typeof averages];
    if (average !== undefined) console.log(`Average: ${average.toFixed(4)}`);
  }
  const notComparable = results.filter((result) => !result.comparable).map((result) => result.task);
  if (notComparable.length > 0) console.log(`\nNOT COMPARABLE with the model cards (subset of the data): ${notComparable.join(", ")}`);
  if (values.out) {
    writeFileSync(values.out, `${JSON.stringify({ model: modelName, tasks, averages, results }, null, 1)}\n`);
    console.log(`\nJSON: ${values.out}`);
  }
  return 0;
}
