import assert from "node:assert/strict";
import { test } from "node:test";
import type { EventSink } from "../../src/engine/Job.js";
import { Outbox } from "../../src/engine/Outbox.js";
import type { GenerationEvent, TokenLogprob } from "../../src/engine/types.js";

function sink(): EventSink<GenerationEvent> & { events: GenerationEvent[] } {
  const events: GenerationEvent[] = [];
  return { events, push: (event) => events.push(event), close: () => {}, fail: () => {}, backlog: () => 0 };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const logprob: TokenLogprob = { token: 5, text: "a", bytes: [97], logprob: -1, top: [], offset: 0 };

test("flush delivers what is pending at once, in push order, logprobs only where there are some", () => {
  const outbox = new Outbox();
  const a = sink();
  const b = sink();
  outbox.push(a, "one", undefined);
  outbox.push(b, "two", [logprob]);
  outbox.push(a, "three", undefined);
  outbox.flush();
  assert.deepEqual(a.events, [
    { type: "text", text: "one" },
    { type: "text", text: "three" },
  ]);
  assert.deepEqual(b.events, [{ type: "text", text: "two", logprobs: [logprob] }]);
  outbox.flush();
  assert.equal(a.events.length + b.events.length, 3, "what was delivered is not delivered again");
});

test("after dispatch: delivered two event-loop turns later (after node-llama-cpp's dispatch), once", async () => {
  const outbox = new Outbox();
  const a = sink();
  outbox.push(a, "x", undefined);
  outbox.flushAfterDispatch();
  outbox.flushAfterDispatch(); // a second call schedules nothing more
  assert.deepEqual(a.events, []);
  await turn();
  assert.deepEqual(a.events, [], "not in the turn node-llama-cpp dispatches from");
  await turn();
  assert.deepEqual(a.events, [{ type: "text", text: "x" }]);
  outbox.push(a, "y", undefined);
  outbox.flushAfterDispatch();
  await turn();
  await turn();
  assert.deepEqual(a.events, [{ type: "text", text: "x" }, { type: "text", text: "y" }]);
});

test("a flush before the scheduled delivery leaves it nothing to deliver; nothing pending, nothing scheduled", async () => {
  const outbox = new Outbox();
  const a = sink();
  outbox.flushAfterDispatch();
  outbox.push(a, "x", undefined);
  outbox.flushAfterDispatch();
  outbox.flush();
  assert.deepEqual(a.events, [{ type: "text", text: "x" }]);
  await turn();
  await turn();
  assert.deepEqual(a.events, [{ type: "text", text: "x" }]);
});
