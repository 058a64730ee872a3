import assert from "node:assert/strict";
import { test } from "node:test";
import { PromptCacheIndex, type IndexedState } from "../../src/engine/PromptCacheIndex.js";
import { RestoreCost } from "../../src/engine/RestoreCost.js";

const state = (tokens: number[], bytes: number, lastUsed: number, inRam = true): IndexedState & { inRam: boolean } => ({ tokens, bytes, lastUsed, inRam });

test("the longest shared prefix wins; ties go to the smaller state", () => {
  const index = new PromptCacheIndex<ReturnType<typeof state>>();
  const short = state([1, 2, 3], 30, 1);
  const long = state([1, 2, 3, 4, 5, 9], 60, 2);
  const twin = state([1, 2, 3, 4, 5, 8, 8], 70, 3);
  for (const entry of [short, long, twin]) index.add(entry);
  assert.deepEqual(index.longestMatch([1, 2, 3, 4, 5, 6]), { entry: long, shared: 5 });
  assert.deepEqual(index.longestMatch([1, 2, 7]), { entry: short, shared: 2 });
  assert.equal(index.longestMatch([9, 9]), undefined);
});

test("a state already held (as it is or inside a longer one) is not kept again; a longer one supersedes its prefixes", () => {
  const index = new PromptCacheIndex<ReturnType<typeof state>>();
  const a = state([1, 2, 3, 4], 40, 1);
  const b = state([1, 2], 20, 2);
  const c = state([1, 5], 20, 3);
  for (const entry of [a, b, c]) index.add(entry);
  assert.equal(index.holds([1, 2, 3]), true);
  assert.equal(index.holds([1, 2, 3, 4]), true);
  assert.equal(index.holds([1, 2, 3, 4, 5]), false);
  assert.deepEqual(index.supersededBy([1, 2, 3, 4, 5]), [a, b]);
  assert.deepEqual(index.supersededBy([1, 5, 6]), [c]);
});

test("overflow evicts the least recently used of a tier until the tier fits its bound", () => {
  const index = new PromptCacheIndex<ReturnType<typeof state>>();
  const old = state([1], 100, 1);
  const middle = state([2], 100, 5);
  const recent = state([3], 100, 9);
  const elsewhere = state([4], 1000, 0, false);
  for (const entry of [recent, old, elsewhere, middle]) index.add(entry);
  const inRam = (entry: ReturnType<typeof state>): boolean => entry.inRam;
  assert.deepEqual(index.overflow(inRam, 300), []);
  assert.deepEqual(index.overflow(inRam, 250), [old]);
  assert.deepEqual(index.overflow(inRam, 100), [old, middle]);
  assert.deepEqual(index.overflow(inRam, 0), [old, middle, recent]);
  index.remove(old);
  assert.equal(index.size, 3);
});

test("a restore is used only when estimated to take at most its margin of the recomputation; estimates follow measurements", () => {
  // 1 ms per prompt token; a restore: 2 ms, plus 1 ms per MB; a margin of a half
  const cost = new RestoreCost(1, 2, 1e-6, 0.5);
  assert.equal(new RestoreCost(1, 2, 1e-6).worth(30e6, 40), true, "by default, 0.8 of the recomputation");
  assert.equal(cost.restoreMs(10e6), 12);
  assert.equal(cost.worth(10e6, 40), true); // 12 ms vs 40 ms
  assert.equal(cost.worth(30e6, 40), false); // 32 ms vs 40 ms: not by the margin
  assert.equal(cost.worth(1, 3), false, "a tiny prefix: the fixed part alone outweighs it");
  // restores turn out ten times slower than thought: the part per byte moves towards it
  for (let i = 0; i < 30; i++) cost.recordRestore(10e6, 102);
  assert.ok(Math.abs(cost.restoreMs(10e6) - 102) < 1);
  assert.equal(cost.worth(10e6, 40), false);
  // and prefill slower too
  for (let i = 0; i < 30; i++) cost.recordPrefill(64, 640);
  assert.ok(Math.abs(cost.recomputeMs(40) - 400) < 5);
  assert.equal(cost.worth(10e6, 40), true);
  cost.recordPrefill(0, 5);
  cost.recordRestore(10, 0);
  assert.ok(Math.abs(cost.recomputeMs(40) - 400) < 5, "empty measurements change nothing");
});
