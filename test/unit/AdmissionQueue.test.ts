import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { test } from "node:test";
import { AdmissionQueue } from "../../src/engine/AdmissionQueue.js";
import { AbortedError, QueueFullError, ShuttingDownError, type EngineError } from "../../src/engine/engineErrors.js";
import { RequestAbortedError, RequestTimeoutError, ServerOverloadedError, type ApiError } from "../../src/errors/ApiError.js";
import { apiErrorOf } from "../../src/serving/apiErrorOf.js";

function queue(maxQueue = Infinity, queueTimeoutMs = 0): { queue: AdmissionQueue<string>; dropped: Array<[string, ApiError]> } {
  const dropped: Array<[string, ApiError]> = [];
  const onDropped = (item: string, error: EngineError): number => dropped.push([item, apiErrorOf(error) as ApiError]);
  return { queue: new AdmissionQueue<string>({ maxQueue, queueTimeoutMs }, onDropped), dropped };
}

const takeAll = (q: AdmissionQueue<string>): Array<string | undefined> => [q.take(), q.take(), q.take(), q.take()];

test("requests leave the queue in arrival order", () => {
  const { queue: q } = queue();
  for (const item of ["a", "b", "c"]) q.push([item]);
  assert.equal(q.length, 3);
  assert.deepEqual(takeAll(q), ["a", "b", "c", undefined]);
});

test("a full queue refuses the next request at once with a 503 and Retry-After", () => {
  const { queue: q } = queue(1);
  q.push(["a"]);
  assert.throws(
    () => q.push(["b"]),
    (thrown: unknown) => {
      assert.ok(thrown instanceof QueueFullError);
      const error = apiErrorOf(thrown);
      assert.ok(error instanceof ServerOverloadedError);
      assert.equal(error.status, 503);
      assert.equal(error.code, "server_overloaded");
      assert.equal(error.headers["Retry-After"], "1");
      return true;
    },
  );
  assert.equal(q.length, 1);
});

test("a request for which an idle slot is free never counts against the bound", () => {
  const { queue: q } = queue(1);
  q.push(["a"], undefined, 2);
  q.push(["b"], undefined, 1);
  assert.equal(q.waitingRequests, 0);
  q.push(["c"]);
  assert.equal(q.waitingRequests, 1);
  assert.throws(() => q.push(["d"]), QueueFullError);
  assert.deepEqual(takeAll(q), ["a", "b", "c", undefined]);
});

test("a request of several jobs is one request: accepted or refused whole, and running once one job has a slot", () => {
  const { queue: q } = queue(1);
  q.push(["a0", "a1", "a2"]);
  assert.deepEqual([q.length, q.waitingRequests], [3, 1]);
  assert.throws(() => q.push(["b0", "b1"]), QueueFullError);
  assert.equal(q.length, 3, "nothing of the refused request was queued");
  assert.equal(q.take(), "a0");
  assert.deepEqual([q.length, q.waitingRequests], [2, 0], "its other jobs wait without counting");
  q.push(["b0", "b1"]);
  // a job not admissible yet is passed over, not waited for
  assert.equal(q.take((item) => item.startsWith("b")), "b0");
  assert.deepEqual([q.take(), q.take(), q.take()], ["a1", "a2", "b1"]);
});

test("a request whose client aborts leaves the queue with all its jobs, answered with the signal's reason or a 499", () => {
  const { queue: q, dropped } = queue();
  const client = new AbortController();
  const deadline = new AbortController();
  q.push(["gone", "gone too"], client.signal);
  q.push(["late"], deadline.signal);
  q.push(["stays"]);
  client.abort();
  deadline.abort(new RequestTimeoutError(1000));
  assert.deepEqual(
    dropped.map(([item, error]) => [item, error.constructor.name, error.status]),
    [
      ["gone", RequestAbortedError.name, 499],
      ["gone too", RequestAbortedError.name, 499],
      ["late", RequestTimeoutError.name, 504],
    ],
  );
  assert.deepEqual([q.take(), q.take()], ["stays", undefined]);
});

test("an already aborted signal is refused at once", () => {
  const controller = new AbortController();
  controller.abort();
  assert.throws(() => queue().queue.push(["a"], controller.signal), AbortedError);
  assert.ok(apiErrorOf(AbortedError.of(controller.signal)) instanceof RequestAbortedError);
});

test("a request waiting past the queue timeout gets a 503; one that left in time, or had a slot, is never dropped", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { queue: q, dropped } = queue(Infinity, 20);
  q.push(["served"]);
  q.push(["waits"]);
  q.push(["promised"], undefined, 1);
  q.push(["leader", "follower"]);
  assert.equal(q.take(), "served");
  assert.equal(q.take((item) => item === "leader"), "leader");
  t.mock.timers.tick(19);
  assert.equal(dropped.length, 0);
  t.mock.timers.tick(1);
  assert.deepEqual(dropped.map(([item, error]) => [item, error.status, error.code]), [["waits", 503, "server_overloaded"]]);
  assert.deepEqual([q.take(), q.take(), q.take()], ["promised", "follower", undefined]);
});

test("draining drops the requests none of whose jobs runs; closing drops every job", () => {
  const { queue: q, dropped } = queue();
  q.push(["leader", "follower"]);
  q.push(["waiting"], undefined, 1);
  assert.equal(q.take(), "leader");
  q.dropWaiting(new ShuttingDownError(), false);
  assert.deepEqual(dropped.map(([item, error]) => [item, error.code]), [["waiting", "server_shutting_down"]]);
  assert.equal(q.length, 1);
  q.dropWaiting(new ShuttingDownError(), true);
  assert.deepEqual(dropped.map(([item]) => item), ["waiting", "follower"]);
  assert.equal(q.length, 0);
});

test("a request leaves no listener on its signal however it leaves the queue: admitted, timed out, dropped, aborted or refused", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { queue: q } = queue(2, 20);
  const listeners = (controller: AbortController): number => getEventListeners(controller.signal, "abort").length;
  const [admitted, timedOut, dropped, aborted, refused] = Array.from({ length: 5 }, () => new AbortController());
  q.push(["a0", "a1"], admitted!.signal, 1);
  assert.equal(listeners(admitted!), 1, "watched while a job of it waits");
  assert.equal(q.take(), "a0");
  assert.equal(listeners(admitted!), 1, "its second job still waits");
  assert.equal(q.take(), "a1");
  assert.equal(listeners(admitted!), 0, "every job admitted");

  q.push(["b"], timedOut!.signal);
  t.mock.timers.tick(20);
  assert.equal(listeners(timedOut!), 0, "timed out");

  q.push(["c"], dropped!.signal);
  q.push(["d"], aborted!.signal);
  assert.throws(() => q.push(["e"], refused!.signal), QueueFullError);
  assert.equal(listeners(refused!), 0, "refused before it was queued");
  aborted!.abort();
  assert.equal(listeners(aborted!), 0, "aborted");
  q.dropWaiting(new ShuttingDownError(), true);
  assert.equal(listeners(dropped!), 0, "dropped by a drain");
  assert.equal(q.length, 0);
});
