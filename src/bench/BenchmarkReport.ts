import type { ModelBenchResult } from "./runBenchmark.js";

/** Everything one `hermes bench` run measured, as written to bench/results/. */
export interface BenchmarkReport {
  date: string;
  commit: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string; memoryBandwidthGBs: number };
  models: Array<ModelBenchResult & { weightBytesPerToken: number; evalDocumentsPerSecond: number[]; evalDocumentsPerSecondTwoAtOnce: number[] }>;
  targets: Array<{ target: string; value: string; met: boolean }>;
}
