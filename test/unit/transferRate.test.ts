import assert from "node:assert/strict";
import { test } from "node:test";
import { TransferRate } from "../../src/cli/TransferRate.js";

test("TransferRate: the rate counts this run's bytes only (a resumed download's first sample is its start), and the time left follows", () => {
  const rate = new TransferRate();
  // resumed at 600 of 1000 bytes: no rate from one sample
  assert.deepEqual(rate.sample(600, 1000, 10_000), {});
  assert.deepEqual(rate.sample(700, 1000, 11_000), { bytesPerSecond: 100, secondsLeft: 3 });
  assert.deepEqual(rate.sample(1000, 1000, 12_000), { bytesPerSecond: 200, secondsLeft: 0 });
});

test("TransferRate: a count that goes back (another phase, a file started again) starts the measure over", () => {
  const rate = new TransferRate();
  rate.sample(500, 1000, 0);
  assert.deepEqual(rate.sample(100, 1000, 1000), {});
  assert.deepEqual(rate.sample(300, 1000, 3000), { bytesPerSecond: 100, secondsLeft: 7 });
});
