import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { BenchmarkReport } from "../bench/BenchmarkReport.js";
import { chatVariants } from "../bench/chatVariants.js";
import { connectPeer } from "../bench/connectPeer.js";
import { evalDocumentsPerSecond } from "../bench/evalDocumentsPerSecond.js";
import { featureCosts } from "../bench/featureCosts.js";
import { moderationLatency } from "../bench/moderationLatency.js";
import { measureMemoryBandwidth } from "../bench/measureMemoryBandwidth.js";
import { runBenchmark, type ModelBenchSettings } from "../bench/runBenchmark.js";
import { judgeTargets, summarizeBenchmark } from "../bench/summarizeBenchmark.js";
import { kvTypes } from "../bench/kvTypes.js";
import { threadChoice } from "../bench/threadChoice.js";
import { threadCandidates } from "../engine/threadCandidates.js";
import { weightBytesPerToken } from "../bench/weightBytesPerToken.js";
import { synthesizeLlamaModel, type SynthType } from "../gguf/synthesizeLlamaModel.js";
import type { LlamaShapeName } from "../gguf/shapes.js";
import { ProgressBar } from "./ProgressBar.js";
import { numberFlag } from "./numberFlag.js";

export const benchUsage = `hermes bench [--models tiny,1b] [--runs N] [--out DIR] [--peer URL[,URL...] [--peer-key KEY]]

Generates the models it needs (tiny f32, 1B-shape Q4_0), starts 'hermes serve' on each and measures it over HTTP
with the streaming API: single-stream decode and prefill, 1/2/4/8 concurrent streams, time to first token with a
shared 500-token system prompt (cold and warm), a chat workload (16 conversations, turns round-robin over 2 slots),
node-llama-cpp in-process as the baseline, and the memory roofline; then 'hermes eval' documents/s on a 4-choice task;
the thread choice (each --threads count and auto, over HTTP) and the KV cache types (f16, q8_0, q4_0: memory per
slot and decode).
Prints a markdown table and writes the JSON to DIR (default bench/results).

  --peer URL[,URL...]  also run the serving scenarios (1-stream decode, 4 and 8 streams, shared-prefix TTFT, the chat
                       workload) against OpenAI-compatible servers already running there, serving the same model
                       (the API's base, e.g. http://127.0.0.1:8080/v1; URL#MODEL picks one of several models);
                       rounds alternate with hermes', and the table gains a column and a ratio per peer.
                       Needs one model in --models.
  --peer-key KEY       the peers' API key (sent as a bearer token)`;

interface BenchModel {
  shape: LlamaShapeName;
  type: SynthType;
  settings: Pick<ModelBenchSettings, "decodeTokens" | "decodePairs" | "prefillTokens" | "streamTokens" | "ttftSamples" | "chat">;
  /** Documents of the 4-choice eval task per run. */
  evalDocuments: number;
}

const cores = os.availableParallelism();

/**
 * The chat workload runs once per variant, its 16 conversations being its samples: 2 turns each over 200-token
 * system prompts, 8-token answers. With no cache every turn reads its whole conversation again (about 235 tokens
 * for a first turn, 280 for a returning one): 8 200 prompt tokens, about 80 s on the 1B shape on 2 cores (measured:
 * 20 s per 8 turns, a returning turn's TTFT 3 s beside another turn), and 3 s on tiny.
 */
const CHAT = { conversations: 16, turns: 2, systemPromptTokens: 200, answerTokens: 8 };

/** Sizes chosen so each model's scenarios take about a minute per run on 2 cores. */
const MODELS: Record<string, BenchModel> = {
  // the servers run with --threads auto, the in-process parts with the counts it picked
  tiny: { shape: "tiny", type: "f32", settings: { decodeTokens: 200, decodePairs: 8, prefillTokens: 1500, streamTokens: 200, ttftSamples: 6, chat: CHAT }, evalDocuments: 40 },
  "1b": { shape: "1b", type: "q4_0", settings: { decodeTokens: 48, decodePairs: 8, prefillTokens: 500, streamTokens: 48, ttftSamples: 3, chat: CHAT }, evalDocuments: 4 },
};

/** The generated model for `model`, written once into the temp directory (also the replicas test's). */
export function benchModelPath(model: Pick<BenchModel, "shape" | "type">): string {
  const dir = join(os.tmpdir(), "hermes-serve");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `bench-${model.shape}-${model.type}-v1.gguf`);
  if (!existsSync(path)) {
    const progress = new ProgressBar(`synth ${model.shape} ${model.type}`);
    synthesizeLlamaModel({
      shape: model.shape,
      type: model.type,
      out: `${path}.${process.pid}`,
      seed: 1,
      name: `bench-${model.shape}`,
      onProgress: (done, total) => progress.update(done / total),
    });
    renameSync(`${path}.${process.pid}`, path);
    progress.done(`wrote ${path}`);
  }
  return path;
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

export async function benchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      models: { type: "string", default: "tiny,1b" },
      runs: { type: "string", default: "5" },
      out: { type: "string", default: join("bench", "results") },
      peer: { type: "string" },
      "peer-key": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(benchUsage);
    return 0;
  }
  const names = values.models.split(",").map((name) => name.trim());
  for (const name of names) if (!(name in MODELS)) throw new Error(`--models must list some of ${Object.keys(MODELS).join(", ")}`);
  const runs = numberFlag(values.runs, "--runs", "positive");
  const peerUrls = values.peer?.split(",").map((url) => url.trim()) ?? [];
  if (peerUrls.length > 0 && names.length !== 1) throw new Error("--peer compares one model: give --models the one the peers serve (tiny or 1b)");
  // reached before anything is measured: a peer that is not there ends the bench at once
  const peers = await Promise.all(peerUrls.map((url) => connectPeer(url, values["peer-key"])));

  const bandwidthProgress = new ProgressBar("measuring memory bandwidth");
  bandwidthProgress.update(0);
  const bandwidth = await measureMemoryBandwidth(cores);
  bandwidthProgress.done(`memory read bandwidth, ${cores} threads: ${(bandwidth / 1e9).toFixed(1)} GB/s`);

  const models: BenchmarkReport["models"] = [];
  for (const name of names) {
    const model = MODELS[name]!;
    const modelPath = benchModelPath(model);
    const label = `${model.shape} ${model.type}`;
    const progress = new ProgressBar(`bench ${label}`);
    const result = await runBenchmark({
      label,
      modelPath,
      parallel: 8,
      runs,
      streams: [1, 2, 4, 8],
      systemPromptTokens: 500,
      ...model.settings,
      chatVariants,
      peers,
      peerStreams: [4, 8],
      onProgress: (done, total, what) => progress.update(done / total, what),
    });
    progress.done(`bench ${label}: serving done`);
    const evalProgress = new ProgressBar(`bench ${label}: eval documents/s`);
    evalProgress.update(0);
    // batches (eval's choices, the classifier's prompt) get the prompt chunks' count, one stream's steps the decode count
    const { decode, batch } = result.threads;
    const evalRates = await evalDocumentsPerSecond(modelPath, batch, model.evalDocuments, runs, 1);
    const evalRatesTwoAtOnce = await evalDocumentsPerSecond(modelPath, batch, model.evalDocuments, runs, 2);
    const moderation = await moderationLatency(runs, modelPath, batch);
    const costs = await featureCosts(modelPath, decode, model.settings.decodeTokens, runs);
    evalProgress.done(`bench ${label}: done`);
    const partProgress = new ProgressBar(`bench ${label}: thread choice, KV types`);
    const onProgress = (done: number, total: number, what: string): void => partProgress.update(done / total, what);
    const choice = await threadChoice({ modelPath, counts: threadCandidates(cores), rounds: runs, decodeTokens: model.settings.decodeTokens, prefillWords: Math.round(model.settings.prefillTokens / 4), onProgress });
    const kv = await kvTypes({ modelPath, threads: choice.auto, rounds: runs, decodeTokens: model.settings.decodeTokens, onProgress });
    partProgress.done(`bench ${label}: thread choice, KV types done`);
    models.push({
      ...result,
      weightBytesPerToken: await weightBytesPerToken(modelPath),
      evalDocumentsPerSecond: evalRates,
      evalDocumentsPerSecondTwoAtOnce: evalRatesTwoAtOnce,
      moderationClassifierMs: moderation.classifierMs!,
      featureCosts: costs,
      threadChoice: choice,
      kvTypes: kv,
    });
  }

  const report: BenchmarkReport = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? "unknown",
      cores,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      memoryBandwidthGBs: bandwidth / 1e9,
    },
    moderation: await moderationLatency(runs),
    models,
    targets: judgeTargets(models),
  };
  mkdirSync(values.out, { recursive: true });
  const file = join(values.out, `${report.date.replace(/[:.]/g, "-")}-${report.commit}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(summarizeBenchmark(report));
  console.log(`\nJSON: ${file}`);
  return models.some((model) => model.peers.some((peer) => peer.failed)) ? 1 : 0;
}
