import assert from "node:assert/strict";
import { test } from "node:test";
import { StepBarrier } from "../../src/engine/StepBarrier.js";

test("arrivals wait until every active member has arrived", async () => {
  const barrier = new StepBarrier();
  barrier.join();
  barrier.join();
  let released = false;
  const first = barrier.arrive().then(() => (released = true));
  await Promise.resolve();
  assert.equal(released, false);
  await barrier.arrive();
  await first;
  assert.equal(released, true);
});

test("a member leaving releases the others", async () => {
  const barrier = new StepBarrier();
  barrier.join();
  barrier.join();
  const waiting = barrier.arrive();
  barrier.leave();
  await waiting;
});

test("a lone member never waits", async () => {
  const barrier = new StepBarrier();
  barrier.join();
  await barrier.arrive();
  await barrier.arrive();
});
