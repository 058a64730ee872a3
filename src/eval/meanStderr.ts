/** Arithmetic mean (lm-evaluation-harness `metrics.mean`); NaN for no values. */
export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * The harness's standard error of a mean-aggregated metric (`metrics.mean_stderr`): the sample standard deviation
 * (n − 1 in the denominator) over √n. For 0/1 values with mean p it is √(p(1 − p)/(n − 1)).
 */
export function meanStderr(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  const variance = values.reduce((sum, value) => sum + (value - m) ** 2, 0) / (n - 1);
  return Math.sqrt(variance) / Math.sqrt(n);
}
