/**
 * Thread counts of a context's llama.cpp batches by their kind. llama.cpp itself has two (`n_threads` for a batch
 * of one token, `n_threads_batch` for more); several streams decoding together are a third kind here, as small
 * as a single token's step and as large as a prompt chunk in none of the ways that set the best count.
 */
export interface ThreadPlan {
  /** A batch of one token: one stream decoding. */
  decode: number;
  /** A batch of 2 to `streams` tokens: several streams decoding. */
  slots: number;
  /** A larger batch: a prompt chunk (with the decoding streams' tokens). */
  batch: number;
}

/** The thread count of a batch of `tokens` tokens on a context where up to `streams` streams decode together. */
export function threadsForBatch(plan: ThreadPlan, streams: number, tokens: number): number {
  if (tokens <= 1) return plan.decode;
  return tokens <= streams ? plan.slots : plan.batch;
}
