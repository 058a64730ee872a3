import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { test } from "node:test";
import type { ChoiceEvent } from "../../src/serving/generateChoices.js";
import type { GenerationObserver, GenerationOutcome } from "../../src/serving/GenerationObserver.js";
import { observedChoices } from "../../src/serving/observedChoices.js";

function recorder(refuse = false): GenerationObserver & { log: unknown[][]; outcome?: GenerationOutcome } {
  const self: GenerationObserver & { log: unknown[][]; outcome?: GenerationOutcome } = {
    log: [],
    admit: (tokens) => {
      self.log.push(["admit", tokens]);
      if (refuse) throw new Error("refused");
    },
    text: (index, text) => self.log.push(["text", index, text]),
    settle: (outcome) => {
      self.log.push(["settle"]);
      self.outcome = outcome;
    },
  };
  return self;
}

const requests = [{ promptTokens: [1, 2, 3], maxTokens: 10 }, { promptTokens: [4, 5], maxTokens: 7 }];
const usage = (promptTokens: number, completionTokens: number, cachedTokens = 0) => ({ promptTokens, completionTokens, cachedTokens });

test("admission reserves every prompt once and every choice's budget, before the source is started", async () => {
  let started = false;
  const observer = recorder(true);
  const source = (async function* (): AsyncGenerator<ChoiceEvent> {
    started = true;
  })();
  await assert.rejects(observedChoices(source, observer, requests, 2).next(), /refused/);
  assert.deepEqual(observer.log, [["admit", 3 + 2 * 10 + 2 + 2 * 7]]);
  assert.equal(started, false, "a refused request queues nothing");
});

test("finished choices settle to their usage (a prompt counted once), with their finish reasons", async () => {
  const observer = recorder();
  const events: ChoiceEvent[] = [
    { type: "text", text: "a", index: 0 },
    { type: "text", text: "b", index: 1 },
    { type: "done", finishReason: "length", usage: usage(3, 4, 1), queueMs: 5, promptMs: 0, generationMs: 0, index: 0 },
    { type: "done", finishReason: "stop", usage: usage(3, 2, 3), queueMs: 40, promptMs: 0, generationMs: 0, index: 1 },
  ];
  const seen: ChoiceEvent[] = [];
  for await (const event of observedChoices((async function* () { yield* events; })(), observer, requests.slice(0, 1), 2)) seen.push(event);
  assert.deepEqual(seen, events, "events pass through unchanged");
  assert.deepEqual(observer.log, [["admit", 23], ["text", 0, "a"], ["text", 1, "b"], ["settle"]]);
  assert.deepEqual(observer.outcome, { usage: usage(3, 6, 1), finishReasons: ["length", "stop"], queueMs: 5 }, "the request waited as long as its first choice");
});

test("a consumer that leaves, or a source that fails, still settles once: started choices count their prompt and pieces", async () => {
  for (const fail of [false, true]) {
    const observer = recorder();
    const source = (async function* (): AsyncGenerator<ChoiceEvent> {
      yield { type: "text", text: "x", index: 2 };
      yield { type: "text", text: "y", index: 2 };
      yield { type: "done", finishReason: "stop", usage: usage(2, 1), queueMs: 7, promptMs: 0, generationMs: 0, index: 3 };
      if (fail) throw new Error("engine failed");
      yield { type: "text", text: "z", index: 0 };
    })();
    const events = observedChoices(source, observer, requests, 2);
    if (fail) {
      await assert.rejects(async () => {
        for await (const _ of events) void _;
      }, /engine failed/);
    } else {
      for await (const event of events) if (event.type === "done") break;
    }
    assert.equal(observer.log.filter(([kind]) => kind === "settle").length, 1);
    // choice 2 (prompt 1's leader) started: its prompt and its two pieces; choice 3 finished: its completion only
    assert.deepEqual(observer.outcome, { usage: usage(2, 3), finishReasons: [undefined, undefined, undefined, "stop"], queueMs: 7 });
  }
});

test("without an observer the events pass through untouched", async () => {
  const events: ChoiceEvent[] = [{ type: "done", finishReason: "stop", usage: usage(1, 1), queueMs: 0, promptMs: 0, generationMs: 0, index: 0 }];
  const seen: ChoiceEvent[] = [];
  for await (const event of observedChoices((async function* () { yield* events; })(), undefined, requests, 1)) seen.push(event);
  assert.deepEqual(seen, events);
});

test("the request's signal aborting settles at once, even while nobody pulls the events; and only once", async () => {
  const observer = recorder();
  const abort = new AbortController();
  const source = (async function* (): AsyncGenerator<ChoiceEvent> {
    yield { type: "text", text: "x", index: 0 };
    yield { type: "text", text: "y", index: 0 };
  })();
  const events = observedChoices(source, observer, requests.slice(0, 1), 1, abort.signal);
  await events.next(); // the consumer then stops pulling, and never closes the events
  assert.equal(observer.outcome, undefined);
  abort.abort();
  assert.deepEqual(observer.outcome, { usage: usage(3, 1), finishReasons: [undefined] });
  await events.return();
  assert.equal(observer.log.filter(([kind]) => kind === "settle").length, 1);
});

test("requests that end, fail or are left hold no listener on their signal once settled", async () => {
  const caller = new AbortController(); // one signal outliving many requests: a listener left behind would pile up
  const source = (fail: boolean) =>
    (async function* (): AsyncGenerator<ChoiceEvent> {
      yield { type: "text", text: "x", index: 0 };
      if (fail) throw new Error("engine failed");
      yield { type: "done", finishReason: "stop", usage: usage(3, 1), queueMs: 0, promptMs: 0, generationMs: 0, index: 0 };
    })();
  const ended = observedChoices(source(false), recorder(), requests.slice(0, 1), 1, caller.signal);
  for await (const event of ended) void event;
  const failed = observedChoices(source(true), recorder(), requests.slice(0, 1), 1, caller.signal);
  await assert.rejects(async () => {
    for await (const event of failed) void event;
  }, /engine failed/);
  const left = observedChoices(source(false), recorder(), requests.slice(0, 1), 1, caller.signal);
  await left.next();
  assert.equal(getEventListeners(caller.signal, "abort").length, 1, "the request left open is still watched");
  await left.return();
  assert.equal(getEventListeners(caller.signal, "abort").length, 0);
});
