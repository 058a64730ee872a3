import assert from "node:assert/strict";
import { test } from "node:test";
import { numberFlag } from "../../src/cli/numberFlag.js";

test("numberFlag: a flag not given is undefined; a given one is its number within its kind's bounds", () => {
  assert.equal(numberFlag(undefined, "--threads", "positive"), undefined);
  assert.equal(numberFlag("4", "--threads", "positive"), 4);
  assert.equal(numberFlag("0", "--port", "non-negative"), 0);
  assert.equal(numberFlag("-3", "--seed", "integer"), -3);
  assert.equal(numberFlag("0", "--seed", { min: 0 }), 0);
  assert.equal(numberFlag("2.5", "--queue-timeout", "seconds"), 2.5);
  assert.equal(numberFlag("0", "--request-timeout", "seconds"), 0);
});

test("numberFlag: out of bounds, fractional or not a number, the message names the flag and what it takes", () => {
  const cases: Array<[string, Parameters<typeof numberFlag>[2], string]> = [
    ["0", "positive", "--n must be a positive integer"],
    ["1.5", "positive", "--n must be a positive integer"],
    ["-1", "non-negative", "--n must be a non-negative integer"],
    ["http", "non-negative", "--n must be a non-negative integer"],
    ["1.5", "integer", "--n must be an integer"],
    ["x", "integer", "--n must be an integer"],
    ["0", { min: 1 }, "--n must be an integer >= 1"],
    ["-1", "seconds", "--n must be a number of seconds >= 0"],
    ["soon", "seconds", "--n must be a number of seconds >= 0"],
  ];
  for (const [value, kind, message] of cases) assert.throws(() => numberFlag(value, "--n", kind), { message }, `${value} as ${JSON.stringify(kind)}`);
});
