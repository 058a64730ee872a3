/** The settings of the server under test: the demo model, small limits, so overload and queueing happen at once. */
export function stressServerArgs(options: { parallel: number; maxQueue: number; apiKey: string; graceSeconds: number }): string[] {
  return [
    ...["--demo", "--parallel", String(options.parallel), "--max-queue", String(options.maxQueue)],
    ...["--api-key", options.apiKey, "--shutdown-grace", String(options.graceSeconds)],
  ];
}
