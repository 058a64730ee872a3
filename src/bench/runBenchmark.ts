import { Engine } from "../engine/Engine.js";
import type { SamplingParams } from "../engine/types.js";
import type { ThreadsInfo } from "../engine/ThreadsInfo.js";
import { decodeRate } from "./decodeRate.js";
import { DirectModel } from "./DirectModel.js";
import { percentile } from "./percentile.js";
import { ServerProcess } from "./ServerProcess.js";
import { streamRequest, type StreamTiming } from "./streamRequest.js";

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
  onProgress: (done: number, total: number, what: string) => void;
}

export interface ConcurrencyResult {
  streams: number;
  /** Aggregate completion tokens/s while all streams decode, one figure per run. */
  tokensPerSecond: number[];
  /** Time between consecutive tokens of a stream, over all streams and runs (ms). */
  gapP50: number;
  gapP95: number;
  /** Tokens the server sampled per decode step (from /health counters): how many streams shared each batch. */
  tokensPerStep: number;
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
  warmCachedTokens: number[];
}

const WORDS = ["harbor", "lantern", "quiet", "orbit", "maple", "signal", "copper", "meadow", "granite", "delta", "fjord", "ember"];

/** Deterministic filler text, different for every `seed`. */
function filler(words: number, seed: number): string {
  return Array.from({ length: words }, (_, i) => WORDS[(i * 7 + seed * 5 + Math.floor(i / 12) * seed) % WORDS.length]).join(" ");
}

/** Text of about `tokens` tokens (filler grown until the model's tokenizer says so). */
function textOfTokens(direct: DirectModel, tokens: number, seed: number): string {
  let words = Math.floor(tokens / 2);
  let text = `Session ${seed}. ${filler(words, seed)}`;
  while (direct.countTokens(text) < tokens) text = `Session ${seed}. ${filler(++words, seed)}`;
  return text;
}

const NO_EOS = { "2": -100 };

/** The server's default sampling (temperature 1, no cuts), as the in-process baseline runs it. */
const DEFAULT_SAMPLING: Omit<SamplingParams, "seed"> = {
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  logitBias: new Map([[2, -100]]),
};

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
 * within each run so machine drift shows up as spread rather than as a difference between scenarios.
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
    concurrency: settings.streams.map((streams) => ({ streams, tokensPerSecond: [], gapP50: 0, gapP95: 0, tokensPerStep: 0 })),
    ttftCold: [],
    ttftWarm: [],
    warmCachedTokens: [],
  };
  const gaps = settings.streams.map(() => [] as number[]);
  const steps = settings.streams.map(() => ({ steps: 0, tokens: 0 }));
  const completions = `${server.apiUrl}/completions`;
  const chat = `${server.apiUrl}/chat/completions`;
  const total = settings.runs * (3 + settings.streams.length + 2 * settings.ttftSamples);
  let done = 0;
  const step = (what: string): void => settings.onProgress(++done, total, what);
  let seed = 0;
  try {
    // one untimed request so the first measured one does not pay for the server's first-use costs
    await streamRequest(completions, { model: server.modelId, prompt: "Warm up.", max_tokens: 4, logit_bias: NO_EOS });
    for (let run = 0; run < settings.runs; run++) {
      // short decodes over HTTP, through the engine in this process, and with node-llama-cpp alone, adjacent, in
      // rotating order, compared within each group: the machine's speed jitters by several % from one second to
      // the next, and only many close comparisons see through that
      const prompt = `Run ${run}: once upon a time`;
      for (let group = 0; group < settings.decodePairs; group++) {
        const seed = run * settings.decodePairs + group;
        const measures = [
          async (): Promise<void> => {
            const http = await streamRequest(completions, { model: server.modelId, prompt, max_tokens: settings.decodeTokens, logit_bias: NO_EOS, seed });
            result.decodeHttp.push(decodeRate(http));
          },
          async (): Promise<void> => {
            result.decodeEngine.push(await engineDecodeRate(engine, prompt, settings.decodeTokens, { ...DEFAULT_SAMPLING, seed }));
          },
          async (): Promise<void> => {
            result.decodeDirect.push(await direct.decodeRate(prompt, settings.decodeTokens, { ...DEFAULT_SAMPLING, seed }));
          },
        ];
        const first = (run + group) % measures.length;
        for (const measure of [...measures.slice(first), ...measures.slice(0, first)]) await measure();
      }
      step("decode: HTTP, engine, node-llama-cpp");
      const greedy = await streamRequest(completions, { model: server.modelId, prompt, max_tokens: settings.decodeTokens, logit_bias: NO_EOS, temperature: 0 });
      result.decodeHttpGreedy.push(decodeRate(greedy));
      step("greedy decode over HTTP");

      const fresh = textOfTokens(direct, settings.prefillTokens, 1000 + run);
      const prefill = await streamRequest(completions, { model: server.modelId, prompt: fresh, max_tokens: 1, logit_bias: NO_EOS });
      result.prefill.push((1000 * (prefill.promptTokens - prefill.cachedTokens)) / (prefill.firstTokenAt - prefill.sentAt));
      step("prefill");

      for (const [index, streams] of settings.streams.entries()) {
        const before = (await server.health()).counters;
        const timings = await Promise.all(
          Array.from({ length: streams }, (_, s) =>
            streamRequest(completions, {
              model: server.modelId,
              prompt: `Run ${run}, stream ${s}: ${filler(8, s)}`,
              max_tokens: settings.streamTokens,
              logit_bias: NO_EOS,
              seed: ++seed,
            }),
          ),
        );
        const after = (await server.health()).counters;
        // steady state: the window in which every stream is decoding (from the last first token to the first end)
        const start = Math.max(...timings.map((t) => t.textAt[0]!));
        const end = Math.min(...timings.map((t) => t.textAt.at(-1)!));
        const tokens = timings.reduce((sum, t) => {
          const chunks = t.textAt.filter((at) => at > start && at <= end).length;
          return sum + (chunks * t.completionTokens) / t.textAt.length; // a chunk is a token, or a few for split characters
        }, 0);
        result.concurrency[index]!.tokensPerSecond.push((1000 * tokens) / (end - start));
        for (const t of timings) for (let i = 1; i < t.textAt.length; i++) gaps[index]!.push(t.textAt[i]! - t.textAt[i - 1]!);
        steps[index]!.steps += after.steps! - before.steps!;
        steps[index]!.tokens += after.generatedTokens! - before.generatedTokens!;
        step(`${streams} concurrent streams`);
      }

      for (let sample = 0; sample < settings.ttftSamples; sample++) {
        const system = textOfTokens(direct, settings.systemPromptTokens, 2000 + run * 100 + sample);
        const ask = async (question: string): Promise<StreamTiming> =>
          streamRequest(chat, {
            model: server.modelId,
            messages: [
              { role: "system", content: system },
              { role: "user", content: question },
            ],
            max_tokens: 1,
            logit_bias: NO_EOS,
          });
        const cold = await ask(`Question ${sample}?`);
        result.ttftCold.push(cold.firstTokenAt - cold.sentAt);
        step("time to first token, cold");
        const warm = await ask(`Another question, number ${sample}?`);
        result.ttftWarm.push(warm.firstTokenAt - warm.sentAt);
        result.warmCachedTokens.push(warm.cachedTokens);
        step("time to first token, warm");
      }
    }
  } finally {
    await server.stop();
    await engine.dispose();
    await direct.dispose();
  }
  result.concurrency.forEach((entry, index) => {
    entry.gapP50 = percentile(gaps[index]!, 50);
    entry.gapP95 = percentile(gaps[index]!, 95);
    entry.tokensPerStep = steps[index]!.tokens / steps[index]!.steps;
  });
  return result;
}
