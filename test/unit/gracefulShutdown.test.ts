import assert from "node:assert/strict";
import { test } from "node:test";
import { gracefulShutdown, type ShutdownSteps } from "../../src/server/gracefulShutdown.js";

/** Steps that record their order; `drain` settles as the test says. */
function steps(drain: () => Promise<void>): { steps: ShutdownSteps; order: string[] } {
  const order: string[] = [];
  return {
    order,
    steps: {
      stopAdmitting: () => void order.push("stop admitting"),
      drain: () => {
        order.push("drain");
        return drain();
      },
      abortRunning: async () => void order.push("abort running"),
      closeConnections: async () => void order.push("close connections"),
    },
  };
}

test("a drain that finishes in time: every step in order, true", async () => {
  const { steps: s, order } = steps(async () => {});
  assert.equal(await gracefulShutdown(s, 10_000), true);
  assert.deepEqual(order, ["stop admitting", "drain", "abort running", "close connections"]);
});

test("a drain past the grace period: the running requests are ended when it is over, false", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { steps: s, order } = steps(() => new Promise<void>(() => {}));
  const done = gracefulShutdown(s, 30_000);
  await Promise.resolve();
  assert.deepEqual(order, ["stop admitting", "drain"], "nothing is cut before the grace period ends");
  t.mock.timers.tick(30_000);
  assert.equal(await done, false);
  assert.deepEqual(order, ["stop admitting", "drain", "abort running", "close connections"]);
});

test("a drain that fails still ends what runs and closes the connections", async () => {
  const { steps: s, order } = steps(() => Promise.reject(new Error("engine fault")));
  assert.equal(await gracefulShutdown(s, 10_000), false);
  assert.deepEqual(order, ["stop admitting", "drain", "abort running", "close connections"]);
});
