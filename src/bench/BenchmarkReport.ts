import type { FeatureCosts } from "./featureCosts.js";
import type { ModelBenchResult } from "./runBenchmark.js";

/** Everything one `hermes bench` run measured, as written to bench/results/. */
export interface BenchmarkReport {
  date: string;
  commit: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string; memoryBandwidthGBs: number };
  /** What the lexicon and the rules add per request (ms, median). */
  moderation: { promptMs: number; pieceMs: number };
  models: Array<
    ModelBenchResult & {
      weightBytesPerToken: number;
      evalDocumentsPerSecond: number[];
      evalDocumentsPerSecondTwoAtOnce: number[];
      /** This model as the moderation model: ms per judged prompt (median). */
      moderationClassifierMs: number;
      /** Decode ms per token in-process, plain and with logprobs, top_logprobs, a JSON grammar. */
      featureCosts: FeatureCosts;
    }
  >;
  targets: Array<{ target: string; value: string; met: boolean }>;
}
