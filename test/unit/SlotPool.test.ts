import assert from "node:assert/strict";
import { test } from "node:test";
import { commonPrefixLength, SlotPool } from "../../src/engine/SlotPool.js";
import { RequestAbortedError, ServerOverloadedError } from "../../src/errors/ApiError.js";

interface FakeSequence {
  tokens: number[];
}

const pool = (...caches: number[][]): SlotPool<FakeSequence> =>
  new SlotPool(caches.map((tokens) => ({ tokens })), (s) => s.tokens);

test("commonPrefixLength", () => {
  assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
  assert.equal(commonPrefixLength([], [1]), 0);
  assert.equal(commonPrefixLength([1, 2], [1, 2, 3]), 2);
});

test("a request gets the idle slot sharing the longest prefix with its prompt", async () => {
  const slots = pool([1, 9, 9], [1, 2, 3, 4], [1, 2]);
  const slot = await slots.acquire([1, 2, 3, 5]);
  assert.equal(slot.id, 1);
});

test("ties go to the least recently used slot", async () => {
  const slots = pool([], []);
  const first = await slots.acquire([7]);
  slots.release(first);
  const second = await slots.acquire([7]);
  assert.notEqual(second.id, first.id);
});

test("requests beyond the slots wait and are served in arrival order", async () => {
  const slots = pool([]);
  const held = await slots.acquire([1]);
  const order: number[] = [];
  const waiting = [1, 2, 3].map((n) =>
    slots.acquire([n]).then((slot) => {
      order.push(n);
      return slot;
    }),
  );
  assert.equal(slots.queued, 3);
  let current = held;
  for (const next of waiting) {
    slots.release(current);
    current = await next;
  }
  assert.deepEqual(order, [1, 2, 3]);
  assert.equal(slots.queued, 0);
  assert.equal(slots.busy, 1);
});

test("a waiting request whose client aborts leaves the queue and never takes a slot", async () => {
  const slots = pool([]);
  const held = await slots.acquire([1]);
  const controller = new AbortController();
  const aborted = slots.acquire([2], controller.signal);
  const next = slots.acquire([3]);
  controller.abort();
  await assert.rejects(aborted, RequestAbortedError);
  assert.equal(slots.queued, 1);
  slots.release(held);
  await next;
  assert.equal(slots.busy, 1);
});

test("an already aborted signal is refused at once", async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(pool([]).acquire([1], controller.signal), RequestAbortedError);
});

test("a full queue refuses the next request at once with a 503 and Retry-After", async () => {
  const slots = new SlotPool([{ tokens: [] }], (s: FakeSequence) => s.tokens, { maxQueue: 1, queueTimeoutMs: 0 });
  const held = await slots.acquire([1]);
  const queued = slots.acquire([2]);
  await assert.rejects(slots.acquire([3]), (error: unknown) => {
    assert.ok(error instanceof ServerOverloadedError);
    assert.equal(error.status, 503);
    assert.equal(error.headers["Retry-After"], "1");
    return true;
  });
  slots.release(held);
  await queued;
});

test("a request that waits longer than the queue timeout gets a 503 and leaves the queue", async () => {
  const slots = new SlotPool([{ tokens: [] }], (s: FakeSequence) => s.tokens, { maxQueue: 8, queueTimeoutMs: 20 });
  const held = await slots.acquire([1]);
  await assert.rejects(slots.acquire([2]), ServerOverloadedError);
  assert.equal(slots.queued, 0);
  slots.release(held);
  assert.equal(slots.busy, 0);
});
