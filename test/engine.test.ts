import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { copySequencePrefix } from "../src/engine/copySequencePrefix.js";
import { Engine } from "../src/engine/Engine.js";
import { LoglikelihoodScorer } from "../src/engine/LoglikelihoodScorer.js";
import type { GenerationEvent, SamplingParams, StepRecord } from "../src/engine/types.js";
import { apiErrorOf } from "../src/serving/apiErrorOf.js";
import { tinyModelPath } from "./helpers/testServer.js";

const words = (n: number, seed: number): string =>
  Array.from({ length: n }, (_, i) => ["river", "stone", "lamp", "quiet", "orbit", "maple", "signal", "harbor"][(i * 7 + seed) % 8]).join(" ");

describe("KV prefix copy between sequences (node-llama-cpp internal API, pinned 3.22.1)", () => {
  let llama: Llama;
  let model: LlamaModel;
  before(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
    model = await llama.loadModel({ modelPath: tinyModelPath() });
  });
  after(async () => {
    await llama.dispose();
  });

  test("a copied prefix gives exactly the next-token distribution of the sequence it was copied from", async () => {
    const context = await model.createContext({ sequences: 2, contextSize: 1024, threads: 1 });
    try {
      const source = context.getSequence();
      const target = context.getSequence();
      const prefix = [model.tokens.bos!, ...model.tokenize(words(150, 1))];
      const sourceRest = model.tokenize(` ${words(40, 3)}`);
      const suffix = model.tokenize(` ${words(12, 5)}`);
      await source.evaluateWithoutGeneratingNewTokens([...prefix, ...sourceRest]);
      await target.evaluateWithoutGeneratingNewTokens(model.tokenize(words(30, 7))); // stale cells to replace

      assert.equal(await copySequencePrefix(target, source, prefix.length), true);
      assert.deepEqual(target.contextTokens, prefix);
      assert.equal(source.nextTokenIndex, prefix.length + sourceRest.length, "the source keeps its own tokens");

      // both sequences now evaluate the same suffix on the same prefix (the source after dropping its rest)
      await source.eraseContextTokenRanges([{ start: prefix.length, end: source.nextTokenIndex }]);
      const distribution = async (sequence: typeof source): Promise<Array<[Token, number]>> => {
        const results = await sequence.controlledEvaluate([
          ...suffix.slice(0, -1),
          [suffix.at(-1)!, { generateNext: { probabilities: true, options: { temperature: 0 } } }],
        ]);
        return [...(results.at(-1)?.next.probabilities ?? new Map<Token, number>())];
      };
      const fromSource = await distribution(source);
      const fromCopy = await distribution(target);
      assert.ok(fromSource.length > 1000);
      assert.deepEqual(fromCopy, fromSource);
    } finally {
      await context.dispose();
    }
  });
});

const sampling: SamplingParams = {
  temperature: 0.8,
  topK: 0,
  topP: 1,
  minP: 0,
  seed: 7,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  logitBias: new Map([[2, -100]]), // never end early
};

async function collect(events: AsyncIterable<GenerationEvent>): Promise<Extract<GenerationEvent, { type: "done" }>> {
  for await (const event of events) if (event.type === "done") return event;
  throw new Error("no done event");
}

describe("the scheduler", () => {
  let engine: Engine;
  before(async () => {
    engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 3, threads: 1, contextSize: 2048, prefillChunk: 64 });
  });
  after(async () => {
    await engine.dispose();
  });

  test("a long prompt is prefilled in chunks while the running streams get a token every step", async () => {
    const steps: StepRecord[] = [];
    const stop = engine.observeSteps((step) => steps.push(step));
    try {
      const streams = [1, 2].map((seed) =>
        collect(engine.generate({ promptTokens: engine.promptTokens(words(10, seed), false), maxTokens: 400, sampling, stop: [] })),
      );
      // the long prompt arrives once both streams decode
      while (!(steps.at(-1)?.decode.length === 2)) await new Promise((resolve) => setImmediate(resolve));
      const longPrompt = engine.promptTokens(words(900, 9), false);
      const arrival = steps.length;
      const long = await collect(engine.generate({ promptTokens: longPrompt, maxTokens: 2, sampling, stop: [] }));
      const done = await Promise.all(streams);
      assert.deepEqual(done.map((d) => d.usage.completionTokens), [400, 400]);
      assert.equal(long.usage.completionTokens, 2);

      const withLong = steps.slice(arrival).filter((step) => step.prefill.length > 0);
      const prefilled = withLong.reduce((sum, step) => sum + step.prefill.reduce((s, item) => s + item.tokens, 0), 0);
      assert.ok(prefilled >= longPrompt.length - long.usage.cachedTokens, `prefilled ${prefilled}`);
      assert.ok(withLong.length >= Math.floor(longPrompt.length / 64), `${withLong.length} chunked steps`);
      for (const step of withLong) {
        assert.ok(step.prefill.reduce((sum, item) => sum + item.tokens, 0) <= 64, "at most one chunk of prompt per step");
        assert.equal(step.decode.length, 2, "both streams got their token in the same step");
      }
      assert.equal(engine.stats().slots.busy, 0);
    } finally {
      stop();
    }
  });

  test("a prefix held by a busy slot is copied, not recomputed, and reported as cached", async () => {
    const system = words(200, 4);
    const holder = new AbortController();
    const steps: StepRecord[] = [];
    const stop = engine.observeSteps((step) => steps.push(step));
    try {
      const first = engine.generate(
        { promptTokens: engine.promptTokens(`${system} first question`, false), maxTokens: 1500, sampling, stop: [] },
        holder.signal,
      );
      const firstDone = collect(first).catch((error: Error) => error);
      while (!(engine.stats().slots.decode === 1)) await new Promise((resolve) => setImmediate(resolve));
      const before = engine.stats().counters;
      const secondPrompt = engine.promptTokens(`${system} second question`, false);
      const second = await collect(engine.generate({ promptTokens: secondPrompt, maxTokens: 3, sampling, stop: [] }));
      const after = engine.stats().counters;
      const systemTokens = engine.promptTokens(system, false).length;
      assert.ok(second.usage.cachedTokens >= systemTokens - 1, `cached ${second.usage.cachedTokens} of ${systemTokens}`);
      assert.equal(after.copiedTokens - before.copiedTokens, second.usage.cachedTokens);
      assert.equal(after.prefillTokens - before.prefillTokens, secondPrompt.length - second.usage.cachedTokens);
      holder.abort();
      assert.equal((apiErrorOf(await firstDone) as { status?: number }).status, 499);
      assert.equal(engine.stats().slots.busy, 0);
    } finally {
      stop();
    }
  });
});

describe("log-likelihood scoring", () => {
  let scorer: LoglikelihoodScorer;
  let llama: Llama;
  let model: LlamaModel;
  before(async () => {
    scorer = await LoglikelihoodScorer.load({ modelPath: tinyModelPath(), contextSize: 512, parallel: 2, threads: 1 });
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
    model = await llama.loadModel({ modelPath: tinyModelPath() });
  });
  after(async () => {
    await scorer.dispose();
    await llama.dispose();
  });

  /** The reference: one plain evaluation of context + continuation, full logits, log-softmax in float64 in JS. */
  async function reference(context: number[], continuation: number[]): Promise<{ logprob: number; greedy: boolean }> {
    const ctx = await model.createContext({ sequences: 1, contextSize: 512, threads: 1 });
    try {
      const all = [...context, ...continuation];
      const outputs = await ctx.getSequence().controlledEvaluate(
        all.slice(0, -1).map((token, i) =>
          i < context.length - 1 ? (token as Token) : [token as Token, { generateNext: { logits: true, options: { temperature: 0 } } }],
        ),
      );
      let logprob = 0;
      let greedy = true;
      continuation.forEach((target, j) => {
        const logits = [...outputs[context.length - 1 + j]!.next.logits!.entries()];
        const max = Math.max(...logits.map(([, l]) => l));
        const logSumExp = max + Math.log(logits.reduce((sum, [, l]) => sum + Math.exp(l - max), 0));
        const byToken = new Map(logits);
        logprob += byToken.get(target as Token)! - logSumExp;
        greedy &&= byToken.get(target as Token) === max;
      });
      return { logprob, greedy };
    } finally {
      await ctx.dispose();
    }
  }

  test("each continuation's log-likelihood equals a plain evaluation's log-softmax sum; the context is shared", async () => {
    const context = model.tokenize(`Question: ${words(20, 2)}\nAnswer:`);
    const continuations = [" river", ` ${words(3, 4)}`, ` ${words(6, 6)}.`].map((text) => model.tokenize(text));
    const scores = await scorer.score(context, continuations);
    assert.equal(scores.length, 3);
    for (const [i, continuation] of continuations.entries()) {
      const expected = await reference(context, continuation);
      assert.ok(Math.abs(scores[i]!.logprob - expected.logprob) < 1e-3, `choice ${i}: ${scores[i]!.logprob} vs ${expected.logprob}`);
      assert.ok(scores[i]!.logprob < 0);
      assert.equal(scores[i]!.greedy, expected.greedy);
    }
    // scoring the same context again reuses it and gives the same numbers
    assert.deepEqual(await scorer.score(context, continuations), scores);
  });

  test("a continuation made of the model's own greedy tokens is reported greedy", async () => {
    const context = model.tokenize(words(12, 3));
    const greedyTokens: number[] = [];
    const ctx = await model.createContext({ sequences: 1, contextSize: 512, threads: 1 });
    try {
      for await (const token of ctx.getSequence().evaluate(context, { temperature: 0, yieldEogToken: true })) {
        greedyTokens.push(token);
        if (greedyTokens.length === 4) break;
      }
    } finally {
      await ctx.dispose();
    }
    const [score] = await scorer.score(context, [greedyTokens]);
    assert.equal(score?.greedy, true);
  });
});

describe("greedy generation for exact_str_match", () => {
  test("the scorer's greedy generation is the model's greedy tokens, decoded alone", async () => {
    const scorer = await LoglikelihoodScorer.load({ modelPath: tinyModelPath(), contextSize: 512, parallel: 1, threads: 1 });
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
    try {
      const model = await llama.loadModel({ modelPath: tinyModelPath() });
      const context = model.tokenize(words(10, 5));
      const ctx = await model.createContext({ sequences: 1, contextSize: 512, threads: 1 });
      const tokens: Token[] = [];
      for await (const token of ctx.getSequence().evaluate(context, { temperature: 0 })) {
        tokens.push(token);
        if (tokens.length === 12) break;
      }
      assert.equal(await scorer.generateGreedy(context, 12), model.detokenize(tokens));
      await assert.rejects(scorer.generateGreedy(context, 600), /do not fit/);
      await assert.rejects(scorer.score(context, [Array.from({ length: 600 }, () => 100)]), /does not fit the scoring context of 512/);
      await assert.rejects(scorer.score(context, [[]]), /must have tokens/);
    } finally {
      await scorer.dispose();
      await llama.dispose();
    }
  });
});

describe("shutdown", () => {
  test("disposing the engine ends the running and the queued requests with 503 server_shutting_down; later ones too", async () => {
    const engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 1, threads: 1, contextSize: 1024 });
    const request = { promptTokens: engine.promptTokens(words(5, 1), false), maxTokens: 900, sampling, stop: [] };
    const running = collect(engine.generate(request)).catch((error: unknown) => apiErrorOf(error));
    while (engine.stats().slots.decode === 0) await new Promise((resolve) => setImmediate(resolve));
    const queued = collect(engine.generate(request)).catch((error: unknown) => apiErrorOf(error));
    while (engine.stats().queued === 0) await new Promise((resolve) => setImmediate(resolve));
    const disposed = engine.dispose();
    for (const outcome of [await running, await queued]) {
      assert.equal((outcome as { status?: number }).status, 503);
      assert.equal((outcome as { code?: string }).code, "server_shutting_down");
    }
    await disposed;
    await assert.rejects(collect(engine.generate(request)), (error: unknown) => (apiErrorOf(error) as { code?: string }).code === "server_shutting_down");
  });
});
