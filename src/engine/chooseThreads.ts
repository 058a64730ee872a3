import os from "node:os";
import type { LlamaContext, LlamaModel } from "node-llama-cpp";
import { BatchThreads } from "./BatchThreads.js";
import { measureThreads } from "./measureThreads.js";
import { threadCandidates } from "./threadCandidates.js";
import { threadsForBatch, type ThreadPlan } from "./threadsForBatch.js";
import type { ThreadsInfo } from "./ThreadsInfo.js";

/** `--threads auto|N` and `--threads-batch N`. */
export interface ThreadsSetting {
  /** A count for every batch (and, without `threadsBatch`, the batches of several tokens too), or "auto": measured. */
  threads: number | "auto";
  /** The count of batches of several tokens (llama-server's: it defaults to `threads`). */
  threadsBatch?: number;
}

/** The measurement's time budget: long enough for medians of a small model, short enough that a 13B starts soon. */
const PROBE_BUDGET_MS = 3000;

/** The most threads `setting` may use on this machine: node-llama-cpp's thread splitter must allow that many. */
export function threadCap(setting: ThreadsSetting): number {
  const counts = setting.threads === "auto" ? threadCandidates(os.availableParallelism()) : [setting.threads];
  return Math.max(...counts, setting.threadsBatch ?? 0);
}

/**
 * Gives every llama.cpp batch of `context` its thread count by the batch's kind (`threadsForBatch`): as `setting`
 * fixes them, or as measured now (`measureThreads`, on the context's sequences before anything uses them): the
 * count with the best median rate for one stream decoding, for `streams` decoding together, and for a prompt chunk
 * of up to `prefillChunk` tokens.
 */
export async function chooseThreads(
  context: LlamaContext,
  model: LlamaModel,
  setting: ThreadsSetting,
  work: { streams: number; prefillChunk: number },
): Promise<ThreadsInfo> {
  const threads = BatchThreads.attach(context, () => threadCap(setting));
  const fixedBatch = setting.threadsBatch ?? (setting.threads === "auto" ? undefined : setting.threads);
  const apply = (plan: ThreadPlan): void => threads.use((tokens) => threadsForBatch(plan, work.streams, tokens));
  if (setting.threads !== "auto") {
    const plan = { decode: setting.threads, slots: fixedBatch!, batch: fixedBatch! };
    apply(plan);
    return { mode: "fixed", ...plan, measured: [] };
  }
  const candidates = threadCandidates(os.availableParallelism());
  const several = work.streams > 1 && fixedBatch === undefined;
  const { samples, chunkTokens, ms } = await measureThreads(context, model, threads, {
    counts: { decode: candidates, slots: several ? candidates : [], prefill: fixedBatch === undefined ? candidates : [fixedBatch] },
    streams: work.streams,
    prefillChunk: work.prefillChunk,
    budgetMs: PROBE_BUDGET_MS,
  });
  // a work the budget left unmeasured takes the decode count (every core, llama.cpp's default, if even that was not)
  const decode = samples.choice("decode") ?? candidates.at(-1)!;
  const batch = fixedBatch ?? samples.choice("prefill") ?? decode;
  // with one stream, no batch is of the `slots` kind
  const plan = { decode, slots: fixedBatch ?? (several ? (samples.choice("slots") ?? decode) : decode), batch };
  apply(plan);
  const prefillTokS = samples.rate(batch, "prefill");
  return {
    mode: "auto",
    ...plan,
    measured: samples.rates(),
    ...(prefillTokS !== undefined ? { prefillTokS, prefillChunkTokens: chunkTokens } : {}),
    probeMs: ms,
  };
}
