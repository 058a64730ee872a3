import assert from "node:assert/strict";
import { test } from "node:test";
import { StepRecorder } from "../../src/engine/StepRecorder.js";
import type { StepRecord } from "../../src/engine/types.js";

test("a step counts its decoded tokens, its prompt chunks and its embedding tokens", () => {
  const recorder = new StepRecorder();
  recorder.record(
    [
      { id: 0, kind: "decode" },
      { id: 2, kind: "decode" },
      { id: 1, kind: "prefill", tokens: 30, final: false },
    ],
    5,
    12,
  );
  recorder.record([{ id: 1, kind: "prefill", tokens: 4, final: true }], 0, 3);
  const { steps, stepTokens, prefillTokens, embeddingTokens, stepMs, requests } = recorder.counters;
  assert.deepEqual({ steps, stepTokens, prefillTokens, embeddingTokens, stepMs, requests }, {
    steps: 2,
    stepTokens: 2 + 30 + 5 + 4,
    prefillTokens: 34,
    embeddingTokens: 5,
    stepMs: 15,
    requests: 0,
  });
});

test("observers get each step's record until they stop", () => {
  const recorder = new StepRecorder();
  const seen: StepRecord[] = [];
  const stop = recorder.observe((step) => seen.push(step));
  recorder.record(
    [
      { id: 3, kind: "decode" },
      { id: 1, kind: "prefill", tokens: 7, final: true },
    ],
    2,
    9,
  );
  stop();
  recorder.record([{ id: 3, kind: "decode" }], 0, 1);
  assert.deepEqual(seen, [{ decode: [3], prefill: [{ slot: 1, tokens: 7 }], embedding: 2, ms: 9 }]);
  assert.equal(recorder.counters.steps, 2, "counted with or without observers");
});
