import type { ThreadPlan } from "./threadsForBatch.js";
import type { ThreadRates } from "./ThreadSamples.js";

/** The thread counts a context runs with, and how they were chosen. */
export interface ThreadsInfo extends ThreadPlan {
  /** "auto": measured on the loaded model at start (a count given by --threads-batch kept); "fixed": as given. */
  mode: "auto" | "fixed";
  /** The medians measured at each count tried (none when fixed). */
  measured: ThreadRates[];
  /** Prompt tokens/s at the `batch` count, when measured, and the chunk size it was measured with. */
  prefillTokS?: number;
  prefillChunkTokens?: number;
  /** How long the measurement took, ms. */
  probeMs?: number;
}
