import type { BenchmarkReport } from "./BenchmarkReport.js";
import { chatRows } from "./chatRows.js";
import { chatTargets } from "./chatTargets.js";
import { fixed, spread } from "./figureText.js";
import { peerColumns, type ServingFigures } from "./peerColumns.js";
import { judgeThreadsAndKv } from "./judgeThreadsAndKv.js";
import { percentile } from "./percentile.js";
import { threadsAndKvRows } from "./threadsAndKvRows.js";

const median = (values: readonly number[]): number => percentile(values, 50);

type Model = BenchmarkReport["models"][number];

/**
 * Server overhead: how much longer a token takes over HTTP than in-process; the median of the pairwise ratios
 * (each pair measures both back to back, so drift of the machine cancels).
 */
export function overhead(model: Model, over: "decodeHttp" | "decodeEngine" = "decodeHttp"): number {
  return median(model[over].map((rate, group) => model.decodeDirect[group]! / rate - 1));
}

/** Aggregate decode rate at `streams` concurrent streams over the single-stream one (medians). */
export function speedup(model: Model, streams: number): number {
  const rate = (n: number): number => median(model.concurrency.find((c) => c.streams === n)?.tokensPerSecond ?? []);
  return rate(streams) / rate(1);
}

export function warmToCold(model: ServingFigures): number {
  return median(model.ttftWarm) / median(model.ttftCold);
}

/** The targets, judged on the models that were measured. */
export function judgeTargets(models: readonly Model[]): BenchmarkReport["targets"] {
  const targets: BenchmarkReport["targets"] = [];
  const tiny = models.find((m) => m.label.startsWith("tiny"));
  const big = models.find((m) => m.label.startsWith("1b"));
  if (big) {
    const value = overhead(big);
    targets.push({ target: "server overhead ≤ 2% of single-stream decode time (1b)", value: `${fixed(value * 100, 1)}%`, met: value <= 0.02 });
  }
  for (const model of big ? [big] : models) {
    const value = speedup(model, 4);
    targets.push({ target: `aggregate at 4 streams ≥ 1.6× single stream (${model.label})`, value: `${fixed(value, 2)}×`, met: value >= 1.6 });
    const ratio = warmToCold(model);
    targets.push({ target: `warm TTFT ≤ 25% of cold, 500-token shared prefix (${model.label})`, value: `${fixed(ratio * 100, 0)}%`, met: ratio <= 0.25 });
  }
  if (big) targets.push(...chatTargets(big.chat));
  if (tiny) {
    const value = median(tiny.decodeHttp);
    targets.push({ target: "tiny ≥ 700 tok/s, one stream over HTTP", value: `${fixed(value)} tok/s`, met: value >= 700 });
  }
  targets.push(...judgeThreadsAndKv(models));
  return targets;
}

/** The report as one markdown table (rows: figures, columns: models), followed by the targets. */
export function summarizeBenchmark(report: BenchmarkReport): string {
  const models = report.models;
  const peers = peerColumns(models);
  const row = (name: string, cell: (model: Model) => string): string => `| ${name} | ${[...models.map(cell), ...peers.blanks].join(" | ")} |`;
  /** A row of a figure the peers have too: their cells and the ratios beside hermes'. */
  const compared = (name: string, cell: (f: ServingFigures) => string, value: (f: ServingFigures) => number[]): string =>
    `| ${name} | ${[...models.map(cell), ...peers.cells(cell, value)].join(" | ")} |`;
  const streams = models[0]?.concurrency.map((c) => c.streams) ?? [];
  const at = (f: ServingFigures, n: number) => f.concurrency.find((c) => c.streams === n);
  const p50p95 = (values: readonly number[]): number[] => [percentile(values, 50), percentile(values, 95)];
  const roofline = (model: Model): number => report.machine.memoryBandwidthGBs * 1e9 / model.weightBytesPerToken;
  const lines = [
    `| figure (median, min–max over ${models[0]?.prefill.length ?? 0} alternating runs) | ${[...models.map((m) => m.label), ...peers.headers].join(" | ")} |`,
    `|---|${[...models, ...peers.headers].map(() => "---").join("|")}|`,
    compared("decode tok/s, 1 stream over HTTP", (f) => spread(f.decodeHttp), (f) => [median(f.decodeHttp)]),
    row("decode tok/s, in-process through hermes' engine (no HTTP)", (m) => spread(m.decodeEngine)),
    row("decode tok/s, in-process node-llama-cpp alone", (m) => spread(m.decodeDirect)),
    row("decode tok/s, 1 stream over HTTP, greedy (temperature 0)", (m) => spread(m.decodeHttpGreedy)),
    row(`server overhead per token: HTTP vs node-llama-cpp (median of ${models[0]?.decodeHttp.length ?? 0} adjacent pairs)`, (m) => `${fixed(overhead(m) * 100, 1)}%`),
    row("of which the engine and scheduler: engine vs node-llama-cpp", (m) => `${fixed(overhead(m, "decodeEngine") * 100, 1)}%`),
    row("prefill tok/s (fresh prompt)", (m) => spread(m.prefill)),
    ...streams.map((n) =>
      compared(
        `aggregate decode tok/s, ${n} stream${n === 1 ? "" : "s"} (all decoding)`,
        (f) => spread(at(f, n)?.tokensPerSecond ?? []),
        (f) => [median(at(f, n)?.tokensPerSecond ?? [])],
      ),
    ),
    ...streams.map((n) =>
      compared(
        `time between tokens p50 / p95 ms, ${n} stream${n === 1 ? "" : "s"}`,
        (f) => `${fixed(at(f, n)?.gapP50 ?? NaN, 1)} / ${fixed(at(f, n)?.gapP95 ?? NaN, 1)}`,
        (f) => [at(f, n)?.gapP50 ?? NaN, at(f, n)?.gapP95 ?? NaN],
      ),
    ),
    ...streams.map((n) => row(`tokens sampled per decode step, ${n} stream${n === 1 ? "" : "s"}`, (m) => fixed(at(m, n)?.tokensPerStep ?? NaN, 2))),
    row("4 streams / 1 stream", (m) => `${fixed(speedup(m, 4), 2)}×`),
    compared("TTFT p50 / p95 ms, 500-token system prompt, cold", (f) => p50p95(f.ttftCold).map((v) => fixed(v)).join(" / "), (f) => p50p95(f.ttftCold)),
    compared("TTFT p50 / p95 ms, same system prompt, warm", (f) => p50p95(f.ttftWarm).map((v) => fixed(v)).join(" / "), (f) => p50p95(f.ttftWarm)),
    compared("warm / cold TTFT (p50)", (f) => `${fixed(warmToCold(f) * 100)}%`, (f) => [warmToCold(f)]),
    ...chatRows(models).map((chat) => compared(chat.name, chat.cell, chat.value)),
    row("weights read per token, MB", (m) => fixed(m.weightBytesPerToken / 1e6, 1)),
    row(`roofline tok/s at ${fixed(report.machine.memoryBandwidthGBs, 1)} GB/s`, (m) => fixed(roofline(m))),
    row("1-stream decode, % of roofline", (m) => `${fixed((100 * median(m.decodeHttp)) / roofline(m))}%`),
    row("eval documents/s, 4-choice task (67-token context, 4 × 16-token choices)", (m) => spread(m.evalDocumentsPerSecond, 2)),
    row("eval documents/s, the same, 2 documents at once (--documents 2)", (m) => spread(m.evalDocumentsPerSecondTwoAtOnce, 2)),
    row("moderation model: ms to judge a ~100-token prompt (this model as the classifier)", (m) => fixed(m.moderationClassifierMs)),
    row("decode step ms in-process (median): plain / logprobs / top_logprobs 5 / json_object grammar", (m) =>
      [m.featureCosts.plain, m.featureCosts.logprobs, m.featureCosts.topLogprobs, m.featureCosts.jsonGrammar].map((v) => fixed(v, 1)).join(" / "),
    ),
    row("structured-output closing, µs per token at a 4 000-token output (json_object, CPU only)", (m) => fixed(m.featureCosts.closingMicrosPerToken, 1)),
    ...threadsAndKvRows(models, row, spread),
  ];
  const targets = [...report.targets.map((t) => `- ${t.met ? "met" : "MISSED"}: ${t.target}: ${t.value}`), ...peers.failures.map((line) => `- ${line}`)];
  const machine = report.machine;
  return [
    `hermes bench, ${report.date}, commit ${report.commit}: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`,
    "",
    ...lines,
    "",
    `Moderation, lexicon + rules: ${report.moderation.promptMs.toFixed(2)} ms per ~500-token prompt, ${report.moderation.pieceMs.toFixed(3)} ms per streamed piece.`,
    "",
    ...targets,
  ].join("\n");
}
