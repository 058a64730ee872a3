/** One document of a task, ready to score: its log-likelihood requests and how their results become metrics. */
export interface TaskDocument {
  /** One request per choice, in the harness's order. */
  requests: ReadonlyArray<{ context: string; continuation: string }>;
  /** The right answer as the dataset states it (index, indices, or label), recorded with the results. */
  gold: unknown;
  /** A greedy generation the document also needs (BigBench's exact_str_match): its prompt and length limit. */
  generate?: { context: string; maxTokens: number };
  /** The document's metric values (0/1 for every metric here) from the requests' log-likelihoods (and generation). */
  score(loglikelihoods: readonly number[], generation?: string): Record<string, number>;
}
