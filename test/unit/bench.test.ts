import assert from "node:assert/strict";
import { test } from "node:test";
import type { BenchmarkReport } from "../../src/bench/BenchmarkReport.js";
import { closingCost } from "../../src/bench/closingCost.js";
import { percentile } from "../../src/bench/percentile.js";
import { autoToBestFixed, judgeThreadsAndKv, q8ToF16 } from "../../src/bench/judgeThreadsAndKv.js";
import type { KvTypeResult } from "../../src/bench/kvTypes.js";
import { judgeTargets, overhead, speedup, warmToCold } from "../../src/bench/summarizeBenchmark.js";
import type { ThreadChoiceResult } from "../../src/bench/threadChoice.js";
import { threadsAndKvRows } from "../../src/bench/threadsAndKvRows.js";
import type { ThreadsInfo } from "../../src/engine/ThreadsInfo.js";
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

const threadsInfo = (decode: number, batch: number): ThreadsInfo => ({ mode: "auto", decode, slots: decode, batch, measured: [], probeMs: 1500 });

test("thread choice: auto's single-stream decode over the best fixed count's (median of the rounds' ratios), judged against 0.95×", () => {
  const choice: ThreadChoiceResult = {
    auto: threadsInfo(1, 2),
    servers: [
      { threads: "auto", decode: [950, 480, 1000], prefill: [30000] },
      { threads: 1, decode: [1000, 990, 400], prefill: [29000] },
      { threads: 2, decode: [500, 520, 1900], prefill: [31000] },
    ],
  };
  // medians: auto 950, 1 thread 990 (the best), 2 threads 520; ratios to 1 thread by round: 0.95, 0.48, 2.5
  assert.deepEqual(autoToBestFixed(choice), { ratio: 950 / 1000, best: 1 });
  assert.deepEqual(judgeThreadsAndKv([{ label: "tiny f32", threadChoice: choice }]), [
    { target: "auto threads: single-stream decode ≥ 0.95× the best fixed thread count (tiny f32)", value: "0.95× (auto 1, best fixed 1)", met: true },
  ]);
  choice.servers[0]!.decode = [900, 900, 900];
  assert.equal(judgeThreadsAndKv([{ label: "tiny f32", threadChoice: choice }])[0]!.met, false, "0.91×");
});

test("KV types: q8_0 against f16 only where both were measured; memory ≤ 0.55× and decode ≥ 0.95× both needed", () => {
  const skipped: KvTypeResult[] = [
    { type: "f16", bytesPerSlot: 1000, decode: [100, 100, 100] },
    { type: "q8_0", skipped: "--cache-type-k q8_0: its blocks of 32 values do not divide this model's attention head size (16)" },
    { type: "q4_0", skipped: "same" },
  ];
  assert.equal(q8ToF16(skipped), undefined);
  assert.deepEqual(judgeThreadsAndKv([{ label: "tiny f32", kvTypes: skipped }]), []);
  const measured: KvTypeResult[] = [
    { type: "f16", bytesPerSlot: 1000, decode: [100, 90, 110] },
    { type: "q8_0", bytesPerSlot: 531.25, decode: [96, 97, 40] },
    { type: "q4_0", bytesPerSlot: 281.25, decode: [90, 91, 92] },
  ];
  assert.deepEqual(q8ToF16(measured), { memory: 0.53125, decode: 0.96 });
  assert.deepEqual(judgeThreadsAndKv([{ label: "1b q4_0", kvTypes: measured }]), [
    { target: "q8_0 KV: memory per slot ≤ 0.55× f16 with decode within 5% of f16 (1b q4_0)", value: "0.53× memory, 0.96× decode", met: true },
  ]);
  measured[1] = { type: "q8_0", bytesPerSlot: 531.25, decode: [90, 90, 90] };
  assert.equal(judgeThreadsAndKv([{ label: "1b q4_0", kvTypes: measured }])[0]!.met, false, "decode 0.90×");
});

test("the thread choice and KV rows: a cell per model, '–' where a model lacks the figure, a skipped type with its reason", () => {
  const models = [
    {
      label: "tiny f32",
      threadChoice: { auto: threadsInfo(1, 1), servers: [{ threads: "auto" as const, decode: [900], prefill: [40000] }, { threads: 1, decode: [1000], prefill: [41000] }] },
      kvTypes: [{ type: "f16" as const, bytesPerSlot: 2 * 2 ** 20, decode: [950] }, { type: "q8_0" as const, skipped: "head size (16)" }],
    },
    { label: "1b q4_0" },
  ];
  const rows = threadsAndKvRows(models, (name, cell) => `| ${name} | ${models.map(cell).join(" | ")} |`, (values) => values.join(","));
  assert.deepEqual(rows, [
    "| threads auto picked at start: 1 stream / prompts (time it measured) | 1 / 1 (1.5 s) | – |",
    "| decode tok/s, 1 stream over HTTP, --threads auto | 900 | – |",
    "| decode tok/s, 1 stream over HTTP, --threads 1 | 1000 | – |",
    "| prefill tok/s, fresh prompt, --threads auto | 40000 | – |",
    "| prefill tok/s, fresh prompt, --threads 1 | 41000 | – |",
    "| auto / best fixed count, 1-stream decode (median of the rounds' ratios) | 0.90× (best: 1) | – |",
    "| KV cache K+V f16, flash attention on: MiB per slot (1024 tokens), decode tok/s 1 stream | 2.0 MiB, 950 | – |",
    "| KV cache K+V q8_0, flash attention on: MiB per slot (1024 tokens), decode tok/s 1 stream | skipped: head size (16) | – |",
    "| q8_0 / f16 KV: memory per slot, decode | – | – |",
  ]);
});
