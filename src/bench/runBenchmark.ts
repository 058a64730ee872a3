import { Engine } from "../engine/Engine.js";
import { neutralSampling } from "../engine/neutralSampling.js";
import type { SamplingParams } from "../engine/types.js";
import { ChatWorkload, type ChatRun, type ChatWorkloadSettings } from "./ChatWorkload.js";
import type { ChatVariant } from "./chatVariants.js";
import { ConcurrencyTally, type ConcurrencyResult } from "./ConcurrencyTally.js";
import { concurrentStreams } from "./concurrentStreams.js";
import type { Peer } from "./connectPeer.js";
import type { ThreadsInfo } from "../engine/ThreadsInfo.js";
import { DirectModel } from "./DirectModel.js";
import { PeerRounds, type PeerResult, type RoundPlan } from "./PeerRounds.js";
import { REQUEST_DEFAULTS } from "./requestDefaults.js";
import { ServerProcess } from "./ServerProcess.js";
import { sharedPrefixTtft } from "./sharedPrefixTtft.js";
import { singleStreamDecode } from "./singleStreamDecode.js";
import { streamRequest } from "./streamRequest.js";
import { textOfTokens } from "./textOfTokens.js";
import { warmUp } from "./warmUp.js";

export interface ModelBenchSettings {
  label: string;
  modelPath: string;
  /** Slots of the server (the largest stream count measured). */
  parallel: number;
  /** Repetitions; the scenarios alternate within each. */
  runs: number;
  /** Tokens decoded per single-stream measurement, and groups of them (HTTP, engine, node-llama-cpp) per run. */
  decodeTokens: number;
  decodePairs: number;
  /** Prompt tokens of the prefill measurement. */
  prefillTokens: number;
  /** Concurrent stream counts, and tokens each stream decodes. */
  streams: readonly number[];
  streamTokens: number;
  /** Tokens of the shared system prompt, and TTFT samples (cold and warm each) per run. */
  systemPromptTokens: number;
  ttftSamples: number;
  /** The chat workload's shape, and the hermes configurations it runs once each, after the runs. */
  chat: ChatWorkloadSettings;
  chatVariants: readonly ChatVariant[];
  /**
   * Servers already running that the compared scenarios (single-stream decode, `peerStreams` concurrent streams,
   * shared-prefix TTFT, the chat workload) also run against, each run's rounds alternating with hermes'.
   */
  peers: readonly Peer[];
  peerStreams: readonly number[];
  onProgress: (done: number, total: number, what: string) => void;
}

export interface ModelBenchResult {
  label: string;
  modelPath: string;
  /** The server's thread counts (--threads auto); the in-process baselines run with the same. */
  threads: ThreadsInfo;
  parallel: number;
  /** Single-stream decode tokens/s over HTTP, and in-process with node-llama-cpp alone, one figure per group. */
  decodeHttp: number[];
  decodeDirect: number[];
  /** The same through hermes' engine (scheduler included) in this process, without HTTP. */
  decodeEngine: number[];
  /** Single-stream decode tokens/s over HTTP at temperature 0 (no sampling work), per run. */
  decodeHttpGreedy: number[];
  /** Prompt tokens/s of a fresh prompt (prompt tokens / time to first token), per run. */
  prefill: number[];
  concurrency: ConcurrencyResult[];
  /** Time to first token with a shared system prompt, ms: its first use (cold), and later uses (warm). */
  ttftCold: number[];
  ttftWarm: number[];
  /** Cached prompt tokens the warm requests reported. */
  warmCachedTokens: Array<number | null>;
  /** The chat workload, one run per hermes variant (and one more after a restart where the variant asks). */
  chat: ChatRun[];
  /** The same scenarios against each --peer. */
  peers: PeerResult[];
}


/** The server's default sampling, as the in-process baselines run it, with end-of-sequence banned as in the requests. */
const NO_EOS_BIAS = new Map([[2, -100]]);

/** Decode rate through the engine in this process: between its first and its last text event. */
async function engineDecodeRate(engine: Engine, prompt: string, tokens: number, sampling: SamplingParams): Promise<number> {
  const textAt: number[] = [];
  let completionTokens = 0;
  for await (const event of engine.generate({ promptTokens: engine.promptTokens(prompt, true), maxTokens: tokens, sampling, stop: [] })) {
    if (event.type === "text") textAt.push(performance.now());
    else if (event.type === "done") completionTokens = event.usage.completionTokens;
  }
  return (1000 * (completionTokens - 1)) / (textAt.at(-1)! - textAt[0]!);
}

/**
 * Measures one model: starts `hermes serve` on it, and runs every scenario `runs` times, alternating scenarios
 * within each run so machine drift shows up as spread rather than as a difference between scenarios; each run's
 * round on hermes alternates with a round of the compared scenarios on each peer, in an order rotating per run.
 * Then the chat workload, on a hermes server of its own per variant (2 slots) and on each peer.
 */
export async function runBenchmark(settings: ModelBenchSettings): Promise<ModelBenchResult> {
  const server = await ServerProcess.start(["--model", settings.modelPath, "--parallel", String(settings.parallel), "--ctx-size", "2048"]);
  // the in-process baselines decode with the server's thread counts (its --threads auto choice)
  const loaded = server.health().then(async ({ threads }) => {
    const direct = await DirectModel.load(settings.modelPath, threads.decode);
    try {
      return { threads, direct, engine: await Engine.load({ modelPath: settings.modelPath, parallel: settings.parallel, threads: threads.decode, threadsBatch: threads.batch, contextSize: 2048 }) };
    } catch (error) {
      await direct.dispose();
      throw error;
    }
  });
  const { threads, direct, engine } = await loaded.catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  const chat = new ChatWorkload(settings.chat, direct);
  // the chat workload's servers run with the counts auto picked here: one probe per variant would differ by noise
  const serverArgs = ["--model", settings.modelPath, "--threads", String(threads.decode), "--threads-batch", String(threads.batch), "--ctx-size", "2048"];
  const result: ModelBenchResult = {
    label: settings.label,
    modelPath: settings.modelPath,
    threads,
    parallel: settings.parallel,
    decodeHttp: [],
    decodeDirect: [],
    decodeEngine: [],
    decodeHttpGreedy: [],
    prefill: [],
    concurrency: [],
    ttftCold: [],
    ttftWarm: [],
    warmCachedTokens: [],
    chat: [],
    peers: [],
  };
  const tallies = settings.streams.map((n) => new ConcurrencyTally(n));
  const peers = settings.peers.map((peer) => new PeerRounds(peer, settings.peerStreams));
  const hermesSteps = 3 + settings.streams.length + settings.ttftSamples;
  const peerSteps = 1 + settings.peerStreams.length + settings.ttftSamples;
  const chatTurns = settings.chatVariants.reduce((sum, variant) => sum + chat.turnsOf(variant), 0) + peers.length * chat.turnsOf();
  const total = settings.runs * (hermesSteps + peers.length * peerSteps) + chatTurns;
  let done = 0;
  const step = (what: string): void => settings.onProgress(++done, total, what);
  const completions = `${server.apiUrl}/completions`;

  /** One run of every scenario on hermes, the serving ones through the functions the peers' rounds use too. */
  const hermesRound = async (plan: RoundPlan): Promise<void> => {
    const run = plan.run;
    // short decodes over HTTP, through the engine in this process, and with node-llama-cpp alone, adjacent, in
    // rotating order, compared within each group: the machine's speed jitters by several % from one second to
    // the next, and only many close comparisons see through that
    for (const [group, seed] of plan.decodeSeeds.entries()) {
      const measures = [
        async (): Promise<void> => {
          result.decodeHttp.push(await singleStreamDecode(server, plan.decodePrompt, plan.decodeTokens, { seed }));
        },
        async (): Promise<void> => {
          result.decodeEngine.push(await engineDecodeRate(engine, plan.decodePrompt, plan.decodeTokens, neutralSampling({ seed, logitBias: NO_EOS_BIAS })));
        },
        async (): Promise<void> => {
          result.decodeDirect.push(await direct.decodeRate(plan.decodePrompt, plan.decodeTokens, neutralSampling({ seed, logitBias: NO_EOS_BIAS })));
        },
      ];
      const first = (run + group) % measures.length;
      for (const measure of [...measures.slice(first), ...measures.slice(0, first)]) await measure();
    }
    step("decode: HTTP, engine, node-llama-cpp");
    result.decodeHttpGreedy.push(await singleStreamDecode(server, plan.decodePrompt, plan.decodeTokens, { temperature: 0 }));
    step("greedy decode over HTTP");

    const fresh = textOfTokens(direct, settings.prefillTokens, 1000 + run);
    const prefill = await streamRequest(completions, { ...REQUEST_DEFAULTS, model: server.modelId, prompt: fresh, max_tokens: 1 });
    result.prefill.push((1000 * (prefill.promptTokens - (prefill.cachedTokens ?? 0))) / (prefill.firstTokenAt - prefill.sentAt));
    step("prefill");

    for (const [index, streams] of plan.streams.entries()) {
      tallies[index]!.add(await concurrentStreams(server, run, streams, plan.streamTokens));
      step(`${streams} concurrent streams`);
    }

    for (const [sample, system] of plan.ttftSystems.entries()) {
      const ttft = await sharedPrefixTtft(server, system, sample);
      result.ttftCold.push(ttft.coldMs);
      result.ttftWarm.push(ttft.warmMs);
      result.warmCachedTokens.push(ttft.warmCachedTokens ?? null);
      step("time to first token, cold and warm");
    }
  };

  try {
    await warmUp(server);
    for (const peer of peers) await peer.warmUp();
    for (let run = 0; run < settings.runs; run++) {
      const plan: RoundPlan = {
        run,
        decodePrompt: `Run ${run}: once upon a time`,
        decodeSeeds: Array.from({ length: settings.decodePairs }, (_, group) => run * settings.decodePairs + group),
        decodeTokens: settings.decodeTokens,
        streams: settings.streams,
        streamTokens: settings.streamTokens,
        ttftSystems: Array.from({ length: settings.ttftSamples }, (_, sample) => textOfTokens(direct, settings.systemPromptTokens, 2000 + run * 100 + sample)),
      };
      const rounds = [() => hermesRound(plan), ...peers.map((peer) => () => peer.round({ ...plan, streams: settings.peerStreams }, step))];
      const first = run % rounds.length;
      for (const round of [...rounds.slice(first), ...rounds.slice(0, first)]) await round();
    }
  } finally {
    await server.stop();
    await engine.dispose();
    await direct.dispose();
  }
  for (const variant of settings.chatVariants) result.chat.push(...(await chat.runVariant(serverArgs, variant, () => step(`chat workload, ${variant.name}`))));
  for (const peer of peers) await peer.chat(chat, () => step("chat workload, peer"));
  result.concurrency = tallies.map((tally) => tally.result());
  result.peers = peers.map((peer) => peer.finish());
  return result;
}
