import assert from "node:assert/strict";
import { test } from "node:test";
import type { LlamaContextSequence } from "node-llama-cpp";
import type { Job } from "../../src/engine/Job.js";
import type { JobOutput } from "../../src/engine/JobOutput.js";
import { Slot } from "../../src/engine/Slot.js";

// only what the slot's pure parts read of a sequence and a job
const sequence = (contextTokens: number[]): LlamaContextSequence => ({ contextTokens }) as unknown as LlamaContextSequence;
const job = (prompt: number[], backlog: number): Job =>
  ({ prompt, submitted: performance.now(), events: { backlog: () => backlog } }) as unknown as Job;
const output = {} as JobOutput;

test("an idle slot offers its cached tokens to pickSlot, a tainted one none", () => {
  const slot = new Slot(2, sequence([1, 2, 3]));
  assert.deepEqual(slot.view(), { phase: "idle", cachedTokens: [1, 2, 3], lastUsed: 0 });
  slot.tainted = true;
  assert.deepEqual(slot.view().cachedTokens, []);
});

test("admitted, a slot prefills its job; planStep sees the prompt left; freed, it is idle and returns the job", () => {
  const slot = new Slot(1, sequence([]));
  const running = job([5, 6, 7, 8], 0);
  slot.admit(running, output, 4);
  assert.equal(slot.phase, "prefill");
  assert.equal(slot.lastUsed, 4);
  slot.running!.evaluated = 1;
  assert.deepEqual(slot.planView(true), { id: 1, phase: "prefill", remaining: 3, admitted: 4, backlogged: false });
  assert.throws(() => slot.admit(running, output, 5), /slot cannot go/, "a busy slot is never admitted to");
  assert.equal(slot.free()?.job, running);
  assert.equal(slot.phase, "idle");
  assert.equal(slot.free(), undefined);
});

test("backlogged: decoding for a consumer more than 128 events behind, and held back only when asked", () => {
  const slot = new Slot(0, sequence([]));
  slot.admit(job([1, 2], 129), output, 1);
  assert.equal(slot.backlogged(), false, "a prefilling slot is never backlogged");
  slot.phase = "decode";
  assert.equal(slot.backlogged(), true);
  assert.equal(slot.planView(true).backlogged, true);
  assert.equal(slot.planView(false).backlogged, false, "not while others wait for a slot");
  slot.free();
  slot.admit(job([1, 2], 128), output, 2);
  slot.phase = "decode";
  assert.equal(slot.backlogged(), false);
});
