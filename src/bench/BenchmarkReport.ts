import type { FeatureCosts } from "./featureCosts.js";
import type { KvTypeResult } from "./kvTypes.js";
import type { ThreadChoiceResult } from "./threadChoice.js";
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
      /** Each fixed --threads count and auto over HTTP, and what auto picked. */
      threadChoice: ThreadChoiceResult;
      /** The KV cache types f16 / q8_0 / q4_0: memory per slot and decode, or why the model cannot use one. */
      kvTypes: KvTypeResult[];
    }
  >;
  targets: Array<{ target: string; value: string; met: boolean }>;
}
