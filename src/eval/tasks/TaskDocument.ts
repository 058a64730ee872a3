/** One document of a task, ready to score: its log-likelihood requests and how their results become metrics. */
export interface TaskDocument {
  /** One request per choice, in the harness's order. */
  requests: ReadonlyArray<{ context: string; continuation: string }>;
  /** The right answer as the dataset states it (index, indices, or label), recorded with the results. */
  gold: unknown;
  /** The document's metric values (0/1 for every metric here) from the requests' log-likelihoods. */
  score(loglikelihoods: readonly number[]): Record<string, number>;
}
