import { Mt19937 } from "./Mt19937.js";

/**
 * numpy's legacy `RandomState(seed).permutation(n)` (MT19937, `random_interval`, Fisher–Yates from the end), exactly:
 * BigBench's prompts list the choices in this order (seed 42, re-seeded for every document).
 */
export function numpyPermutation(n: number, seed: number): number[] {
  const random = new Mt19937(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i >= 1; i--) {
    const j = random.interval(i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
