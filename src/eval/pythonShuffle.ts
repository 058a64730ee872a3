import { Mt19937 } from "./Mt19937.js";

/**
 * The order Python's `random.Random(seed).shuffle` gives `items` (lm-evaluation-harness shuffles each task's
 * documents with seed 42 before applying `--limit`).
 */
export function pythonShuffle<T>(items: readonly T[], seed: number): T[] {
  const random = Mt19937.python(seed);
  const order = [...items];
  for (let i = order.length - 1; i >= 1; i--) {
    const j = random.below(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
