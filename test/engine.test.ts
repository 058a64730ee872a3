import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { after, before, describe, test } from "node:test";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { copySequencePrefix } from "../src/engine/copySequencePrefix.js";
import { Engine } from "../src/engine/Engine.js";
import { LoglikelihoodScorer } from "../src/engine/LoglikelihoodScorer.js";
import type { GenerationEvent, SamplingParams, StepRecord } from "../src/engine/types.js";
import { apiErrorOf } from "../src/serving/apiErrorOf.js";
import { EngineFailureError, ShuttingDownError } from "../src/engine/engineErrors.js";
import { generateChoices } from "../src/serving/generateChoices.js";
import { jsonObjectGrammar } from "../src/grammar/jsonSchemaGrammar.js";
import { FaultySequences } from "./helpers/faultySequences.js";
import { waitUntil } from "./helpers/waitUntil.js";
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
      await waitUntil(() => steps.at(-1)?.decode.length === 2, "both streams decode");
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

  test("a request whose consumer stops reading decodes only when nothing else does: the reading stream runs alone meanwhile", async () => {
    const steps: StepRecord[] = [];
    const stop = engine.observeSteps((step) => steps.push(step));
    try {
      // one event read, then no more: its output piles up unread, as behind a client that stopped reading
      const stalled = engine.generate({ promptTokens: engine.promptTokens(words(6, 3), false), maxTokens: 1500, sampling, stop: [] })[Symbol.asyncIterator]();
      await stalled.next();
      await waitUntil(() => engine.stats().slots.backlogged === 1, "the unread request is backlogged");
      const from = steps.length;
      const reading = await collect(engine.generate({ promptTokens: engine.promptTokens(words(6, 5), false), maxTokens: 200, sampling, stop: [] }));
      const during = steps.slice(from);
      assert.equal(reading.usage.completionTokens, 200);
      // without the backlog rule both slots decode in every step; with it, the reading one decodes alone
      assert.ok(during.every((step) => step.decode.length <= 1), JSON.stringify(during.find((step) => step.decode.length > 1)));
      assert.ok(during.filter((step) => step.decode.length === 1).length >= 199);
      // alone again, the unread request goes on to its end; read, it is whole
      let last: GenerationEvent | undefined;
      for (let next = await stalled.next(); !next.done; next = await stalled.next()) last = next.value;
      assert.equal(last?.type === "done" ? last.usage.completionTokens : undefined, 1500);
      assert.equal(engine.stats().slots.backlogged, 0);
    } finally {
      stop();
    }
  });

  test("a backlogged request still decodes while others wait for a slot: it ends and frees its slot", async () => {
    const steps: Array<StepRecord & { queued: number }> = [];
    const stop = engine.observeSteps((step) => steps.push({ ...step, queued: engine.stats().queued }));
    try {
      const stalled = engine.generate({ promptTokens: engine.promptTokens(words(6, 7), false), maxTokens: 600, sampling, stop: [] })[Symbol.asyncIterator]();
      await stalled.next();
      await waitUntil(() => engine.stats().slots.backlogged === 1, "the unread request is backlogged");
      // the two other slots taken by long readers, and one more request waiting for a slot
      const readers = [8, 9].map((seed) => collect(engine.generate({ promptTokens: engine.promptTokens(words(6, seed), false), maxTokens: 300, sampling, stop: [] })));
      await waitUntil(() => engine.stats().slots.decode === 3, "three slots decode");
      const waiting = collect(engine.generate({ promptTokens: engine.promptTokens(words(6, 10), false), maxTokens: 2, sampling, stop: [] }));
      await waitUntil(() => engine.stats().queued === 1, "a request waits");
      // (the step under way when it arrived was planned before)
      const from = steps.length + 1;
      await Promise.all([...readers, waiting]);
      const whileWaiting = steps.slice(from).filter((step) => step.queued > 0 && step.prefill.length === 0);
      assert.ok(whileWaiting.length > 0);
      assert.ok(whileWaiting.every((step) => step.decode.length === 3), "the backlogged slot decodes in every step while a request waits");
      for (let next = await stalled.next(); !next.done; next = await stalled.next()) void next;
    } finally {
      stop();
    }
  });

  test("a signal outliving its requests holds no listener once they end: finished, or left by the consumer", async () => {
    const caller = new AbortController(); // as a session's: a listener left per request would pile up with its closures
    const listeners = (): number => getEventListeners(caller.signal, "abort").length;
    const request = (seed: number, maxTokens: number) => ({ promptTokens: engine.promptTokens(words(6, seed), false), maxTokens, sampling, stop: [] });
    await Promise.all([1, 2, 3, 4].map((seed) => collect(engine.generate(request(seed, 8), caller.signal))));
    assert.equal(listeners(), 0, "finished");
    const left = engine.generate(request(5, 400), caller.signal)[Symbol.asyncIterator]();
    await left.next();
    assert.equal(listeners(), 1, "watched while it runs");
    await left.return();
    assert.equal(listeners(), 0, "left by its consumer");
    await waitUntil(() => engine.stats().slots.busy === 0, "the left request's slot is freed");
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
      await waitUntil(() => engine.stats().slots.decode === 1, "one slot decodes");
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
    await waitUntil(() => engine.stats().slots.decode > 0, "a slot decodes");
    const queued = collect(engine.generate(request)).catch((error: unknown) => apiErrorOf(error));
    await waitUntil(() => engine.stats().queued > 0, "a request waits");
    const disposed = engine.dispose();
    for (const outcome of [await running, await queued]) {
      assert.equal((outcome as { status?: number }).status, 503);
      assert.equal((outcome as { code?: string }).code, "server_shutting_down");
    }
    await disposed;
    await assert.rejects(collect(engine.generate(request)), (error: unknown) => (apiErrorOf(error) as { code?: string }).code === "server_shutting_down");
  });
});

describe("fault isolation", () => {
  const faults = new FaultySequences();
  let engine: Engine;
  before(async () => {
    engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 2, threads: 1, contextSize: 2048, prefillChunk: 64, wrapSequencesForTests: faults.wrap });
  });
  after(async () => {
    await engine.dispose();
  });

  const request = (seed: number, maxTokens: number) => ({ promptTokens: engine.promptTokens(words(30, seed), false), maxTokens, sampling, stop: [] });
  const failure = (outcome: unknown): string => {
    assert.ok(outcome instanceof EngineFailureError, `an engine failure, not ${String(outcome)}`);
    assert.equal(apiErrorOf(outcome), outcome, "not an API error: the server answers 500 internal_error");
    return outcome.message;
  };

  test("a decode that fails ends only its own request; the other stream finishes, and the failed slot is not reused as a prefix", async () => {
    const failing = collect(engine.generate(request(1, 1000))).catch((error: unknown) => error);
    const other = collect(engine.generate(request(2, 600)));
    await waitUntil(() => engine.stats().slots.decode >= 2, "two slots decode");
    faults.failNext(0, "decode");
    assert.match(failure(await failing), /injected decode fault on slot 0/);
    // while the other stream holds slot 1, the failed slot is the one free: it may hold cells of an evaluation that
    // never completed, so its next job computes its prompt anew (and the one after that reuses it again)
    const again = await collect(engine.generate(request(1, 2)));
    assert.equal(again.usage.cachedTokens, 0);
    const reused = await collect(engine.generate(request(1, 2)));
    assert.ok(reused.usage.cachedTokens > 0, "a slot that did not fail keeps its prefix");
    assert.equal((await other).usage.completionTokens, 600, "the other stream got every token");
    assert.equal(engine.stats().slots.busy, 0);
  });

  test("a prompt chunk that fails ends only its request while a stream decodes", async () => {
    const stream = collect(engine.generate(request(3, 300)));
    await waitUntil(() => engine.stats().slots.decode >= 1, "a slot decodes");
    // only the long prompt evaluates prompt chunks: the stream's slot just decodes
    faults.failNext(0, "prefill");
    faults.failNext(1, "prefill");
    const long = await collect(engine.generate({ promptTokens: engine.promptTokens(words(400, 5), false), maxTokens: 2, sampling, stop: [] })).catch((error: unknown) => error);
    assert.match(failure(long), /injected prefill fault/);
    assert.equal((await stream).usage.completionTokens, 300);
    faults.reset();
    assert.equal((await collect(engine.generate(request(6, 3)))).usage.completionTokens, 3, "the engine answers afterwards");
    assert.equal(engine.stats().slots.busy, 0);
  });

  test("a structured output the closer cannot complete is no engine failure: it goes on under its grammar and ends as it is", async () => {
    let calls = 0;
    const closer = (): string => {
      calls++;
      throw new Error("nested deeper than the closer follows");
    };
    const done = await collect(
      engine.generate({ promptTokens: engine.promptTokens(words(5, 2), false), maxTokens: 20, sampling, stop: [], structured: { grammar: jsonObjectGrammar(), close: closer } }),
    );
    assert.equal(done.finishReason, "length");
    assert.equal(done.usage.completionTokens, 20);
    assert.equal(calls, 1, "the closer is not asked again");
    assert.equal(engine.stats().slots.busy, 0);
  });

  test("a fault in the loop's own code fails the requests it was running, not those waiting, and leaves the engine usable", async () => {
    const running = [7, 8].map((seed) => collect(engine.generate(request(seed, 1000))).catch((error: unknown) => error));
    await waitUntil(() => engine.stats().slots.decode >= 2, "two slots decode");
    const waiting = collect(engine.generate(request(9, 3)));
    let thrown = false;
    const stop = engine.observeSteps(() => {
      if (thrown) return;
      thrown = true;
      throw new Error("observer bug");
    });
    try {
      for (const outcome of await Promise.all(running)) assert.match(failure(outcome), /observer bug/);
      assert.equal((await waiting).usage.completionTokens, 3, "the waiting request ran after the fault");
    } finally {
      stop();
    }
    assert.equal((await collect(engine.generate(request(10, 3)))).usage.completionTokens, 3);
    assert.equal(engine.stats().slots.busy, 0);
  });
});

describe("drain and queue wait", () => {
  let engine: Engine;
  before(async () => {
    engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 1, threads: 1, contextSize: 1024 });
  });
  after(async () => {
    await engine.dispose();
  });

  test("each generation reports the ms it waited for a slot, at least the steps it waited through", async () => {
    const steps: StepRecord[] = [];
    const stop = engine.observeSteps((step) => steps.push(step));
    try {
      const first = collect(engine.generate({ promptTokens: engine.promptTokens(words(5, 1), false), maxTokens: 40, sampling, stop: [] }));
      await waitUntil(() => engine.stats().slots.decode > 0, "a slot decodes");
      const queuedAt = steps.length;
      const second = await collect(engine.generate({ promptTokens: engine.promptTokens(words(5, 2), false), maxTokens: 2, sampling, stop: [] }));
      const firstDone = await first;
      // the second waited through every step of the first after it arrived, up to its own first prefill
      const waited = steps.slice(queuedAt).findIndex((step) => step.prefill.length > 0);
      // (the step under way when it arrived had started before)
      const waitedMs = steps.slice(queuedAt + 1, queuedAt + waited).reduce((sum, step) => sum + step.ms, 0);
      assert.ok(waited > 0);
      assert.ok(second.queueMs >= waitedMs, `waited ${second.queueMs} ms, steps meanwhile took ${waitedMs} ms`);
      assert.ok(firstDone.queueMs >= 0 && firstDone.queueMs < second.queueMs);
      // the choices of one request pass it on, each its own
      const choices: number[] = [];
      for await (const event of generateChoices(engine, [{ promptTokens: engine.promptTokens(words(5, 3), false), maxTokens: 2, sampling, stop: [] }], 3)) {
        if (event.type === "done") choices[event.index] = event.queueMs;
      }
      assert.equal(choices.length, 3);
      assert.ok(choices.every((ms) => ms >= 0));
      assert.ok(choices[2]! > choices[0]!, "on one slot, the later choices waited for the earlier ones");
    } finally {
      stop();
    }
  });

  test("/health's queued counts requests, as --max-queue does: a running request's later choices are not counted", async () => {
    const choices = (async () => {
      for await (const event of generateChoices(engine, [{ promptTokens: engine.promptTokens(words(5, 4), false), maxTokens: 30, sampling, stop: [] }], 3)) void event;
    })();
    await waitUntil(() => engine.stats().slots.decode > 0, "the first choice decodes");
    assert.equal(engine.stats().queued, 0, "its two other choices wait for the slot, but the request runs");
    const other = collect(engine.generate({ promptTokens: engine.promptTokens(words(5, 6), false), maxTokens: 2, sampling, stop: [] }));
    await waitUntil(() => engine.stats().queued === 1, "the other request is counted");
    await choices;
    await other;
  });

  test("drain refuses new requests and the queued ones, lets the running one finish, and resolves once it has", async () => {
    const generatedBefore = engine.stats().counters.generatedTokens;
    const running = collect(engine.generate({ promptTokens: engine.promptTokens(words(5, 1), false), maxTokens: 60, sampling, stop: [] }));
    await waitUntil(() => engine.stats().slots.decode > 0, "a slot decodes");
    const queued = collect(engine.generate({ promptTokens: engine.promptTokens(words(5, 2), false), maxTokens: 2, sampling, stop: [] })).catch((error: unknown) => error);
    await waitUntil(() => engine.stats().queued > 0, "a request waits");
    const drained = engine.drain().then(() => engine.stats());
    assert.ok((await queued) instanceof ShuttingDownError);
    await assert.rejects(collect(engine.generate({ promptTokens: engine.promptTokens(words(5, 3), false), maxTokens: 2, sampling, stop: [] })), ShuttingDownError);
    assert.equal((await running).usage.completionTokens, 60);
    const atDrained = await drained;
    assert.deepEqual([atDrained.slots.busy, atDrained.queued], [0, 0], "drained once nothing runs");
    assert.ok(atDrained.counters.generatedTokens - generatedBefore >= 60, "drain resolved after the running request's last token");
    await engine.drain(); // again: nothing runs, resolves at once
  });
});
