import assert from "node:assert/strict";
import { neutralSampling } from "../src/engine/neutralSampling.js";
import { spawn } from "node:child_process";
import os from "node:os";
import { after, before, describe, test } from "node:test";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { BatchThreads } from "../src/engine/BatchThreads.js";
import { chooseThreads, threadCap } from "../src/engine/chooseThreads.js";
import { Engine } from "../src/engine/Engine.js";
import { LoglikelihoodScorer } from "../src/engine/LoglikelihoodScorer.js";
import type { ThreadsInfo } from "../src/engine/ThreadsInfo.js";
import { threadCandidates } from "../src/engine/threadCandidates.js";
import { threadsForBatch } from "../src/engine/threadsForBatch.js";
import type { ThreadRates } from "../src/engine/ThreadSamples.js";
import type { GenerationEvent } from "../src/engine/types.js";
import { startTestServer, tinyModelPath } from "./helpers/testServer.js";

const bin = new URL("../../bin/hermes.cjs", import.meta.url).pathname;
const TEXT = "river stone lamp quiet orbit maple signal harbor copper meadow granite delta fjord ember lantern";

const sampling = neutralSampling({ seed: 3, logitBias: new Map([[2, -100]]) });

async function completionTokens(events: AsyncIterable<GenerationEvent>): Promise<number> {
  for await (const event of events) if (event.type === "done") return event.usage.completionTokens;
  throw new Error("no done event");
}

/**
 * The measured count auto must choose on a work: the fewest threads within 15% of the best median (more threads must
 * be clearly faster), undefined when none was measured on it.
 */
function bestMeasured(measured: readonly ThreadRates[], field: "decodeTokS" | "slotsDecodeTokS" | "prefillTokS"): number | undefined {
  const rows = measured.filter((row) => row[field] !== undefined);
  if (rows.length === 0) return undefined;
  const best = Math.max(...rows.map((row) => row[field]!));
  return rows.sort((a, b) => a.threads - b.threads).find((row) => row[field]! >= best / 1.15)!.threads;
}

function assertAutoChoice(info: ThreadsInfo, several: boolean): void {
  assert.equal(info.mode, "auto");
  const candidates = threadCandidates(os.availableParallelism());
  assert.ok(info.measured.length > 0, "something was measured");
  for (const row of info.measured) assert.ok(candidates.includes(row.threads), `measured ${row.threads}, not a candidate`);
  // a work the time budget left unmeasured takes the decode count
  assert.equal(info.decode, bestMeasured(info.measured, "decodeTokS") ?? candidates.at(-1));
  assert.equal(info.slots, several ? (bestMeasured(info.measured, "slotsDecodeTokS") ?? info.decode) : info.decode);
  assert.equal(info.batch, bestMeasured(info.measured, "prefillTokS") ?? info.decode);
  assert.equal(info.prefillTokS, info.measured.find((row) => row.threads === info.batch)?.prefillTokS);
}

describe("thread counts per batch (node-llama-cpp internals, pinned 3.22.1)", () => {
  let llama: Llama;
  let model: LlamaModel;
  before(async () => {
    // the thread splitter allows 2: the counts below 1, 3 and 4 can only come from the wrapped batch calls
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 2 });
    model = await llama.loadModel({ modelPath: tinyModelPath() });
  });
  after(async () => {
    await llama.dispose();
  });

  test("a one-token batch, two streams' tokens in one batch and a prompt chunk each run on their own count", async () => {
    const context = await model.createContext({ sequences: 2, contextSize: 256, threads: 2 });
    try {
      BatchThreads.attach(context, (tokens) => threadsForBatch({ decode: 1, slots: 3, batch: 4 }, 2, tokens));
      const [a, b] = [context.getSequence(), context.getSequence()];
      const tokens = model.tokenize(TEXT);
      await a.evaluateWithoutGeneratingNewTokens(tokens.slice(0, 10));
      assert.equal(context.currentThreads, 4);
      await a.evaluateWithoutGeneratingNewTokens(tokens.slice(10, 11));
      assert.equal(context.currentThreads, 1);
      // issued in the same tick: one batch of two tokens
      await Promise.all([a.evaluateWithoutGeneratingNewTokens(tokens.slice(11, 12)), b.evaluateWithoutGeneratingNewTokens(tokens.slice(0, 1))]);
      assert.equal(context.currentThreads, 3);
    } finally {
      await context.dispose();
    }
  });

  test("auto picks, for each kind of batch, the measured count with the best rate, applies it, and leaves the sequences free and empty", async () => {
    const context = await model.createContext({ sequences: 2, contextSize: 256, threads: threadCap({ threads: "auto" }) });
    try {
      const info = await chooseThreads(context, model, { threads: "auto" }, { streams: 2, prefillChunk: 32 });
      assertAutoChoice(info, true);
      assert.ok(info.prefillChunkTokens === undefined || (info.prefillChunkTokens >= 1 && info.prefillChunkTokens <= 32));
      // both sequences were given back (none is left over otherwise) with nothing in them
      const [a, b] = [context.getSequence(), context.getSequence()];
      assert.deepEqual([a.contextTokens, b.contextTokens], [[], []]);
      const tokens = model.tokenize(TEXT);
      await a.evaluateWithoutGeneratingNewTokens(tokens.slice(0, 10));
      assert.equal(context.currentThreads, info.batch);
      await a.evaluateWithoutGeneratingNewTokens(tokens.slice(10, 11));
      assert.equal(context.currentThreads, info.decode);
      await Promise.all([a.evaluateWithoutGeneratingNewTokens(tokens.slice(11, 12)), b.evaluateWithoutGeneratingNewTokens(tokens.slice(0, 1))]);
      assert.equal(context.currentThreads, info.slots);
    } finally {
      await context.dispose();
    }
  });
});

describe("--threads and --threads-batch", () => {
  test("explicit counts are used as given, nothing measured; --threads-batch sets the batches of several tokens", async () => {
    const cases = [
      [{ threads: 1 }, { decode: 1, slots: 1, batch: 1 }],
      [{ threads: 1, threadsBatch: 2 }, { decode: 1, slots: 2, batch: 2 }],
    ] as const;
    for (const [options, counts] of cases) {
      const engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 2, contextSize: 256, ...options });
      try {
        assert.deepEqual(engine.info.threads, { mode: "fixed", ...counts, measured: [] });
        assert.equal(await completionTokens(engine.generate({ promptTokens: engine.promptTokens(TEXT, false), maxTokens: 4, sampling, stop: [] })), 4);
      } finally {
        await engine.dispose();
      }
    }
  });

  test("auto with --threads-batch: the decode count is measured and chosen, the batch count kept and measured only there", async () => {
    const engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 2, contextSize: 256, threads: "auto", threadsBatch: 2 });
    try {
      const info = engine.info.threads;
      assert.equal(info.mode, "auto");
      assert.equal(info.batch, 2);
      assert.equal(info.slots, 2);
      assert.equal(info.decode, bestMeasured(info.measured, "decodeTokS") ?? threadCandidates(os.availableParallelism()).at(-1));
      assert.ok(info.measured.every((row) => row.slotsDecodeTokS === undefined));
      assert.ok(info.measured.every((row) => row.prefillTokS === undefined || row.threads === 2));
      assert.equal(await completionTokens(engine.generate({ promptTokens: engine.promptTokens(TEXT, false), maxTokens: 4, sampling, stop: [] })), 4);
    } finally {
      await engine.dispose();
    }
  });

  test("the eval scorer chooses its counts the same way", async () => {
    const fixed = await LoglikelihoodScorer.load({ modelPath: tinyModelPath(), contextSize: 256, parallel: 2, threads: 1, threadsBatch: 2 });
    try {
      assert.deepEqual(fixed.threads, { mode: "fixed", decode: 1, slots: 2, batch: 2, measured: [] });
    } finally {
      await fixed.dispose();
    }
    const auto = await LoglikelihoodScorer.load({ modelPath: tinyModelPath(), contextSize: 256, parallel: 2 });
    try {
      assertAutoChoice(auto.threads, false);
      const tokens = auto.tokenize(TEXT);
      const scores = await auto.score(tokens.slice(0, 8), [tokens.slice(8, 10), tokens.slice(10, 12)]);
      assert.ok(scores.every((score) => Number.isFinite(score.logprob) && score.logprob < 0));
    } finally {
      await auto.dispose();
    }
  });

  test("/health reports the served model's thread counts", async () => {
    const server = await startTestServer({ parallel: 2, contextSize: 256 });
    try {
      const health = (await (await fetch(`${server.url}/health`)).json()) as { threads: unknown };
      assert.deepEqual(health.threads, { mode: "fixed", decode: 1, slots: 1, batch: 1, measured: [] });
    } finally {
      await server.close();
    }
  });

  test("hermes serve --threads auto prints the choice and the rates on its ready line, and /health has them", { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [bin, "serve", "--demo", "--port", "0", "--threads", "auto", "--ctx-size", "256"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
        let output = "";
        child.stderr.on("data", (data: Buffer) => {
          output += data.toString();
          const match = /ready at (http:\/\/\S+)\/v1 .*threads (\d+) for 1 stream, (\d+) for 2, (\d+) for prompts \(auto, measured in [\d.]+ s; tok\/s 1 stream \/ 2 streams \/ prompt by threads: (.+?)\), prompt cache/.exec(output);
          if (match) resolve(match);
        });
        child.once("exit", (code) => reject(new Error(`server exited (${code}) before it was ready:\n${output}`)));
      });
      const health = (await (await fetch(`${ready[1]}/health`)).json()) as { threads: ThreadsInfo };
      assertAutoChoice(health.threads, true);
      assert.deepEqual(ready.slice(2, 5).map(Number), [health.threads.decode, health.threads.slots, health.threads.batch]);
      const rate = (value: number | undefined): string => (value === undefined ? "–" : value.toFixed(0));
      const rows = health.threads.measured.map((row) => `${row.threads}: ${[row.decodeTokS, row.slotsDecodeTokS, row.prefillTokS].map(rate).join(" / ")}`);
      assert.equal(ready[5], rows.join(", "));
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
