import { encodePair } from "./encodePair.js";
import { mean, meanStderr } from "./meanStderr.js";
import type { ResultRow } from "./renderResultsTable.js";
import type { TaskDocument } from "./tasks/TaskDocument.js";

/** What the evaluation needs from the engine: the harness's tokenization and continuation scoring. */
export interface ContinuationScorer {
  tokenize(text: string): number[] | Promise<number[]>;
  score(context: readonly number[], continuations: ReadonlyArray<readonly number[]>): Promise<Array<{ logprob: number; greedy: boolean }>>;
  generateGreedy(context: readonly number[], maxTokens: number): Promise<string>;
}

export interface DocumentRecord {
  requests: ReadonlyArray<{ context: string; continuation: string }>;
  loglikelihoods: number[];
  greedy: boolean[];
  gold: unknown;
  /** The greedy generation, for documents with a generative metric. */
  generation?: string;
  metrics: Record<string, number>;
}

export interface TaskResult {
  task: string;
  version: number;
  /** False when the data is not the harness's full split (see --allow-subset, --limit). */
  comparable: boolean;
  documents: number;
  metrics: Record<string, { value: number; stderr: number }>;
  records: DocumentRecord[];
}

/**
 * Scores one task's documents: each document's requests go through the harness's `_encode_pair`; requests that
 * share a context are scored together (the context evaluated once); per-document metrics are averaged, with the
 * harness's standard error. Up to `concurrency` documents are scored at once (the scorer batches their work); the
 * records keep the documents' order. `onDocument` is called after each document.
 */
export async function runEvaluation(
  scorer: ContinuationScorer,
  task: string,
  documents: readonly TaskDocument[],
  comparable: boolean,
  onDocument: () => void = () => {},
  concurrency = 1,
): Promise<TaskResult> {
  const records: DocumentRecord[] = new Array(documents.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < documents.length && !failed) {
      const index = next++;
      try {
        records[index] = await scoreDocument(scorer, documents[index]!);
      } catch (error) {
        failed = true; // the other workers stop taking documents
        throw error;
      }
      onDocument();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, documents.length) }, worker));
  const metrics: TaskResult["metrics"] = {};
  for (const metric of Object.keys(records[0]?.metrics ?? {})) {
    const values = records.map((record) => record.metrics[metric]!);
    metrics[metric] = { value: mean(values), stderr: meanStderr(values) };
  }
  return { task, version: task === "boolq" ? 1 : 0, comparable, documents: records.length, metrics, records };
}

async function scoreDocument(scorer: ContinuationScorer, document: TaskDocument): Promise<DocumentRecord> {
  const loglikelihoods: number[] = new Array(document.requests.length);
  const greedy: boolean[] = new Array(document.requests.length);
  const byContext = new Map<string, number[]>();
  document.requests.forEach((request, index) => byContext.set(request.context, [...(byContext.get(request.context) ?? []), index]));
  for (const [context, indices] of byContext) {
    const pairs = await Promise.all(indices.map((index) => encodePair((text) => scorer.tokenize(text), context, document.requests[index]!.continuation)));
    const scores = await scorer.score(pairs[0]!.context, pairs.map((pair) => pair.continuation));
    indices.forEach((index, i) => {
      loglikelihoods[index] = scores[i]!.logprob;
      greedy[index] = scores[i]!.greedy;
    });
  }
  // a generative request: the raw context encoded alone (no whitespace move), as the harness's greedy_until
  const generation = document.generate && (await scorer.generateGreedy(await scorer.tokenize(document.generate.context), document.generate.maxTokens));
  return {
    requests: document.requests,
    loglikelihoods,
    greedy,
    gold: document.gold,
    ...(generation !== undefined ? { generation } : {}),
    metrics: document.score(loglikelihoods, generation),
  };
}

/** A task's metrics as rows of the printed table. */
export function resultRows(result: TaskResult): ResultRow[] {
  return Object.entries(result.metrics).map(([metric, { value, stderr }]) => ({
    task: result.task,
    version: result.version,
    metric,
    value,
    ...(Number.isFinite(stderr) ? { stderr } : {}),
  }));
}
