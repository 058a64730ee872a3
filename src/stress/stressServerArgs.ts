import type { StressOptions } from "./runStress.js";

/** The settings of the server under test: the demo model, small limits, so overload and queueing happen at once. */
export function stressServerArgs(options: Pick<StressOptions, "parallel" | "maxQueue" | "apiKey" | "graceSeconds">): string[] {
  return [
    ...["--demo", "--parallel", String(options.parallel), "--max-queue", String(options.maxQueue)],
    ...["--api-key", options.apiKey, "--shutdown-grace", String(options.graceSeconds)],
  ];
}
