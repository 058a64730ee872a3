import assert from "node:assert/strict";
import { test } from "node:test";
import type { BenchmarkReport } from "../../src/bench/BenchmarkReport.js";
import { closingCost } from "../../src/bench/closingCost.js";
import { percentile } from "../../src/bench/percentile.js";
import { judgeTargets, overhead, speedup, warmToCold } from "../../src/bench/summarizeBenchmark.js";
import { copySequencePrefix } from "../../src/engine/copySequencePrefix.js";

test("the closing cost is measured on a JSON text the closer accepts, as a time per token", () => {
  // a text the closer refused would throw: every piece of it is closed
  const micros = closingCost(500, 1);
  assert.ok(Number.isFinite(micros) && micros > 0, String(micros));
});

test("percentile interpolates between ranks, as numpy's default", () => {
  assert.equal(percentile([4, 1, 3, 2], 50), 2.5);
  assert.equal(percentile([1, 2, 3, 4, 5], 95), 4.8);
  assert.equal(percentile([7], 95), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

type Model = BenchmarkReport["models"][number];
const model = (label: string, fields: Partial<Model>): Model =>
  ({ label, decodeHttp: [], decodeEngine: [], decodeDirect: [], concurrency: [], ttftCold: [], ttftWarm: [], chat: [], peers: [], ...fields }) as Model;

test("overhead is the median of the per-group ratios; speedup and warm/cold from medians; targets judged on them", () => {
  const big = model("1b q4_0", {
    // per-group ratios 1.10, 1.00, 1.01: median 1.01, i.e. 1% (the medians of the rates alone, 22/20, would say 10%)
    decodeHttp: [20, 10, 25],
    decodeDirect: [22, 10, 25.25],
    decodeEngine: [20, 10, 20],
    concurrency: [
      { streams: 1, tokensPerSecond: [40, 42, 41], gapP50: 0, gapP95: 0, tokensPerStep: 1 },
      { streams: 4, tokensPerSecond: [70, 65, 66], gapP50: 0, gapP95: 0, tokensPerStep: 4 },
    ],
    ttftCold: [4000, 4200, 4100],
    ttftWarm: [200, 300, 250],
  });
  assert.ok(Math.abs(overhead(big) - 0.01) < 1e-12);
  assert.ok(Math.abs(overhead(big, "decodeEngine") - 0.1) < 1e-12, "per group 22/20, 10/10, 25.25/20: median 10%");
  assert.equal(speedup(big, 4), 66 / 41);
  assert.equal(warmToCold(big), 250 / 4100);
  const tiny = model("tiny f32", { decodeHttp: [650, 720, 710] });
  assert.deepEqual(
    judgeTargets([tiny, big]).map((t) => [t.met, t.value]),
    [
      [true, "1.0%"],
      [true, "1.61×"],
      [true, "6%"],
      [true, "710 tok/s"],
    ],
  );
});

test("the KV copy reports false, so the caller recomputes, when node-llama-cpp has no copy method", async () => {
  assert.equal(await copySequencePrefix({} as never, {} as never, 10), false);
  assert.equal(await copySequencePrefix({ _copyStateFromOtherSequence: async () => false } as never, {} as never, 10), false);
});
