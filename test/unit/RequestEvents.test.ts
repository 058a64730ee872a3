import assert from "node:assert/strict";
import { test } from "node:test";
import { RequestEvents } from "../../src/engine/RequestEvents.js";
import type { IndexedEvent } from "../../src/engine/types.js";

const done = { type: "done", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 }, queueMs: 0, promptMs: 0, generationMs: 0 } as const;

async function read(events: RequestEvents): Promise<IndexedEvent[]> {
  const all: IndexedEvent[] = [];
  for await (const event of events.channel) all.push(event);
  return all;
}

test("a request's generations share one channel, tagged by index, ended once every one has ended", async () => {
  const events = new RequestEvents(2, new AbortController());
  const [a, b] = [events.sink(0), events.sink(1)];
  a.push({ type: "text", text: "x" });
  b.push(done);
  b.close();
  a.push(done);
  a.close();
  assert.deepEqual((await read(events)).map((e) => [e.index, e.type]), [[0, "text"], [1, "done"], [0, "done"]]);
});

test("the first failure ends the channel with it and aborts the request, so its other generations stop", async () => {
  const controller = new AbortController();
  const events = new RequestEvents(2, controller);
  const failure = new Error("fault");
  events.sink(0).push({ type: "text", text: "x" });
  events.sink(1).fail(failure);
  events.sink(0).fail(new Error("later"));
  assert.equal(controller.signal.reason, failure);
  await assert.rejects(read(events), (error) => error === failure);
});
