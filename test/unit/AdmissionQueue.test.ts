import assert from "node:assert/strict";
import { test } from "node:test";
import { AdmissionQueue } from "../../src/engine/AdmissionQueue.js";
import { RequestAbortedError, RequestTimeoutError, ServerOverloadedError, type ApiError } from "../../src/errors/ApiError.js";

function queue(maxQueue = Infinity, queueTimeoutMs = 0): { queue: AdmissionQueue<string>; dropped: Array<[string, ApiError]> } {
  const dropped: Array<[string, ApiError]> = [];
  return { queue: new AdmissionQueue<string>({ maxQueue, queueTimeoutMs }, (item, error) => dropped.push([item, error])), dropped };
}

test("requests leave the queue in arrival order", () => {
  const { queue: q } = queue();
  for (const item of ["a", "b", "c"]) q.push(item);
  assert.equal(q.length, 3);
  assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], ["a", "b", "c", undefined]);
});

test("a full queue refuses the next request at once with a 503 and Retry-After", () => {
  const { queue: q } = queue(1);
  q.push("a");
  assert.throws(
    () => q.push("b"),
    (error: unknown) => {
      assert.ok(error instanceof ServerOverloadedError);
      assert.equal(error.status, 503);
      assert.equal(error.code, "server_overloaded");
      assert.equal(error.headers["Retry-After"], "1");
      return true;
    },
  );
  assert.equal(q.length, 1);
});

test("a request whose client aborts leaves the queue, answered with the signal's reason or a 499", () => {
  const { queue: q, dropped } = queue();
  const client = new AbortController();
  const deadline = new AbortController();
  q.push("gone", client.signal);
  q.push("late", deadline.signal);
  q.push("stays");
  client.abort();
  deadline.abort(new RequestTimeoutError(1000));
  assert.deepEqual(
    dropped.map(([item, error]) => [item, error.constructor.name, error.status]),
    [
      ["gone", RequestAbortedError.name, 499],
      ["late", RequestTimeoutError.name, 504],
    ],
  );
  assert.deepEqual([q.shift(), q.shift()], ["stays", undefined]);
});

test("an already aborted signal is refused at once", () => {
  const controller = new AbortController();
  controller.abort();
  assert.throws(() => queue().queue.push("a", controller.signal), RequestAbortedError);
});

test("a request waiting past the queue timeout gets a 503; one that left in time is never dropped", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { queue: q, dropped } = queue(Infinity, 20);
  q.push("served");
  q.push("waits");
  assert.equal(q.shift(), "served");
  t.mock.timers.tick(19);
  assert.equal(dropped.length, 0);
  t.mock.timers.tick(1);
  assert.deepEqual(dropped.map(([item, error]) => [item, error.status, error.code]), [["waits", 503, "server_overloaded"]]);
  assert.equal(q.length, 0);
});
