import assert from "node:assert/strict";
import { test } from "node:test";
import { describeThreads } from "../../src/cli/describeThreads.js";
import { threadsFlags } from "../../src/cli/threadsFlags.js";
import { threadCandidates } from "../../src/engine/threadCandidates.js";
import { threadsForBatch } from "../../src/engine/threadsForBatch.js";
import { ThreadSamples } from "../../src/engine/ThreadSamples.js";

test("the candidates are the powers of two below the core count, and the core count", () => {
  assert.deepEqual(threadCandidates(1), [1]);
  assert.deepEqual(threadCandidates(2), [1, 2]);
  assert.deepEqual(threadCandidates(6), [1, 2, 4, 6]);
  assert.deepEqual(threadCandidates(8), [1, 2, 4, 8]);
  assert.deepEqual(threadCandidates(12), [1, 2, 4, 8, 12]);
});

test("a batch's count by its size: one token, up to one per stream, more", () => {
  const plan = { decode: 1, slots: 2, batch: 4 };
  assert.deepEqual([1, 2, 3, 4, 5, 64].map((tokens) => threadsForBatch(plan, 4, tokens)), [1, 2, 2, 2, 4, 4]);
  // one stream: two tokens are already a prompt's
  assert.equal(threadsForBatch(plan, 1, 2), 4);
});

test("samples: medians decide (one slowed-down sample does not), ties go to fewer threads", () => {
  const samples = new ThreadSamples();
  // rates 1000, 1000, 100 tok/s at 2 threads (median 1000); 900 at 1
  samples.add(2, "decode", 10, 10);
  samples.add(2, "decode", 10, 100);
  samples.add(2, "decode", 20, 20);
  samples.add(1, "decode", 9, 10);
  assert.equal(samples.rate(2, "decode"), 1000);
  assert.equal(samples.best("decode"), 2);
  assert.equal(samples.rate(4, "decode"), undefined);
  assert.equal(samples.best("prefill"), undefined);
  samples.add(1, "prefill", 50, 10);
  samples.add(2, "prefill", 50, 10);
  assert.equal(samples.best("prefill"), 1, "equal rates: the fewer threads");
  // an even count of samples: the mean of the middle two
  samples.add(1, "slots", 10, 10);
  samples.add(1, "slots", 30, 10);
  assert.equal(samples.rate(1, "slots"), 2000);
});

test("samples: a count is clearly slower only when it is far behind on every work it was measured on", () => {
  const samples = new ThreadSamples();
  samples.add(2, "decode", 100, 100); // 1000 tok/s
  samples.add(1, "decode", 75, 100); // 750: behind, not far
  assert.equal(samples.clearlySlower(1), false);
  samples.add(4, "decode", 60, 100); // 600: far behind
  assert.equal(samples.clearlySlower(4), true);
  samples.add(4, "prefill", 100, 10); // but the best prompt rate
  samples.add(2, "prefill", 100, 20);
  assert.equal(samples.clearlySlower(4), false);
  assert.equal(samples.clearlySlower(2), false);
  assert.equal(samples.clearlySlower(8), false, "a count never measured is not judged");
});

test("samples: a sample's expected time is its own median, else a larger count's scaled up, else unknown", () => {
  const samples = new ThreadSamples();
  assert.equal(samples.expectedMs(2, "prefill"), undefined);
  samples.add(4, "prefill", 64, 100);
  samples.add(4, "prefill", 64, 300);
  samples.add(4, "prefill", 64, 200);
  assert.equal(samples.expectedMs(4, "prefill"), 200);
  assert.equal(samples.expectedMs(1, "prefill"), 800, "a quarter of the threads: at most four times as long");
  assert.equal(samples.expectedMs(8, "prefill"), undefined, "no larger count measured");
  assert.equal(samples.expectedMs(1, "decode"), undefined);
  samples.add(1, "prefill", 64, 500);
  assert.equal(samples.expectedMs(1, "prefill"), 500);
});

test("samples: each measured count's medians, fewest threads first, works not measured left out", () => {
  const samples = new ThreadSamples();
  samples.add(2, "decode", 10, 10);
  samples.add(1, "decode", 20, 10);
  samples.add(1, "prefill", 640, 10);
  samples.add(1, "slots", 40, 10);
  assert.deepEqual(samples.rates(), [
    { threads: 1, decodeTokS: 2000, slotsDecodeTokS: 4000, prefillTokS: 64000 },
    { threads: 2, decodeTokS: 1000 },
  ]);
});

test("the ready line's thread counts: fixed, or auto with the rates by count", () => {
  assert.equal(describeThreads({ mode: "fixed", decode: 1, slots: 2, batch: 2, measured: [] }, 4), "threads 1 for 1 stream, 2 for 4, 2 for prompts (fixed)");
  assert.equal(describeThreads({ mode: "fixed", decode: 2, slots: 2, batch: 2, measured: [] }, 1), "threads 2 for decoding, 2 for prompts (fixed)");
  const measured = [
    { threads: 1, decodeTokS: 912.6, slotsDecodeTokS: 1500, prefillTokS: 40000 },
    { threads: 2, decodeTokS: 120.2 },
  ];
  assert.equal(
    describeThreads({ mode: "auto", decode: 1, slots: 1, batch: 1, measured, probeMs: 1234 }, 2),
    "threads 1 for 1 stream, 1 for 2, 1 for prompts (auto, measured in 1.2 s; tok/s 1 stream / 2 streams / prompt by threads: 1: 913 / 1500 / 40000, 2: 120 / – / –)",
  );
  assert.equal(
    describeThreads({ mode: "auto", decode: 1, slots: 1, batch: 1, measured, probeMs: 1234 }, 1),
    "threads 1 for decoding, 1 for prompts (auto, measured in 1.2 s; tok/s decode / prompt by threads: 1: 913 / 40000, 2: 120 / –)",
  );
});

test("--threads auto|N and --threads-batch N: absent flags give the fallback, or nothing (the engine's auto)", () => {
  assert.deepEqual(threadsFlags(undefined, undefined), {});
  assert.deepEqual(threadsFlags(undefined, undefined, 1), { threads: 1 });
  assert.deepEqual(threadsFlags("auto", undefined, 1), { threads: "auto" });
  assert.deepEqual(threadsFlags("3", "2"), { threads: 3, threadsBatch: 2 });
  assert.deepEqual(threadsFlags(undefined, "4"), { threadsBatch: 4 });
  for (const bad of ["0", "-1", "1.5", "two", "", "Auto"]) assert.throws(() => threadsFlags(bad, undefined), /--threads must be auto or a positive integer/);
  assert.throws(() => threadsFlags("auto", "auto"), /--threads-batch must be a positive integer/);
});

test("more threads are chosen only when at least 15% faster than fewer: the server's own work needs the cores too", () => {
  const samples = new ThreadSamples();
  samples.add(1, "slots", 1975, 1000);
  samples.add(2, "slots", 2139, 1000); // +8%: not enough
  samples.add(1, "prefill", 3200, 100);
  samples.add(2, "prefill", 6000, 100); // +88%
  samples.add(1, "decode", 1000, 1000);
  samples.add(2, "decode", 1100, 1000);
  samples.add(4, "decode", 1400, 1000); // +40% over 1, +27% over 2
  assert.equal(samples.best("slots"), 2);
  assert.equal(samples.choice("slots"), 1);
  assert.equal(samples.choice("prefill"), 2);
  assert.equal(samples.choice("decode"), 4);
  assert.equal(samples.choice("nothing" as never), undefined);
});
