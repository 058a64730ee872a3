import assert from "node:assert/strict";
import { test } from "node:test";
import { nextPhase } from "../../src/engine/nextPhase.js";
import { commonPrefixLength, pickSlot, type SlotView } from "../../src/engine/pickSlot.js";
import { planStep } from "../../src/engine/planStep.js";

const idle = (cachedTokens: number[], lastUsed = 0): SlotView => ({ phase: "idle", cachedTokens, lastUsed });
const busy = (cachedTokens: number[]): SlotView => ({ phase: "decode", cachedTokens, lastUsed: 1 });

test("slot phases: idle -> prefill -> decode -> idle, and a cancel from prefill; nothing else", () => {
  assert.equal(nextPhase("idle", "admit"), "prefill");
  assert.equal(nextPhase("prefill", "first-token"), "decode");
  assert.equal(nextPhase("decode", "end"), "idle");
  assert.equal(nextPhase("prefill", "end"), "idle");
  for (const [phase, event] of [
    ["idle", "end"],
    ["idle", "first-token"],
    ["prefill", "admit"],
    ["decode", "admit"],
    ["decode", "first-token"],
  ] as const) {
    assert.throws(() => nextPhase(phase, event), /slot cannot go/);
  }
});

test("commonPrefixLength", () => {
  assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
  assert.equal(commonPrefixLength([], [1]), 0);
  assert.equal(commonPrefixLength([1, 2], [1, 2, 3]), 2);
});

test("a request gets the idle slot sharing the longest prefix with its prompt", () => {
  const choice = pickSlot([idle([1, 9, 9]), idle([1, 2, 3, 4]), idle([1, 2])], [1, 2, 3, 5], 2);
  assert.deepEqual(choice, { slot: 1, reused: 3 });
});

test("a shared prefix shorter than the copy threshold does not choose the slot: the least recently used one is taken", () => {
  // slot 0 shares 3 tokens (a template's opening), slot 1 is empty: slot 0's conversation stays for its return
  assert.deepEqual(pickSlot([idle([1, 2, 3, 8, 8], 4), idle([], 0)], [1, 2, 3, 5, 6], 16), { slot: 1, reused: 0 });
  assert.deepEqual(pickSlot([idle([1, 2, 3, 8, 8], 4), idle([1, 7], 2)], [1, 2, 3, 5, 6], 16), { slot: 1, reused: 1 });
  assert.deepEqual(pickSlot([idle([1, 2, 3, 8, 8], 4), idle([], 0)], [1, 2, 3, 5, 6], 3), { slot: 0, reused: 3 });
});

test("the prompt's last token is never counted as reused: it must be evaluated to sample", () => {
  assert.deepEqual(pickSlot([idle([1, 2, 3])], [1, 2, 3], 16), { slot: 0, reused: 2 });
});

test("ties go to the least recently used slot; busy slots are never chosen", () => {
  assert.equal(pickSlot([idle([], 5), idle([], 2), idle([], 9)], [7], 16)?.slot, 1);
  assert.equal(pickSlot([busy([7, 7]), idle([], 3)], [7, 7, 7], 16)?.slot, 1);
  assert.equal(pickSlot([busy([]), busy([])], [1], 16), undefined);
});

test("a longer prefix held by another slot, busy or idle, is copied when it saves enough tokens", () => {
  const prompt = Array.from({ length: 40 }, (_, i) => i);
  const system = prompt.slice(0, 30);
  assert.deepEqual(pickSlot([busy([...system, 99]), idle([0, 1])], prompt, 16), {
    slot: 1,
    reused: 2,
    copy: { from: 0, tokens: 30 },
  });
  // an idle slot holding the prefix is simply chosen: nothing to copy
  assert.deepEqual(pickSlot([idle(system, 1), idle([], 0)], prompt, 16), { slot: 0, reused: 30 });
  // a gain below the threshold is recomputed rather than copied
  assert.deepEqual(pickSlot([busy(prompt.slice(0, 17)), idle([0, 1, 2])], prompt, 16), { slot: 1, reused: 3 });
  assert.deepEqual(pickSlot([busy(prompt.slice(0, 19)), idle([0, 1, 2])], prompt, 16), {
    slot: 1,
    reused: 3,
    copy: { from: 0, tokens: 19 },
  });
});

test("a step decodes one token for every decoding slot and at most one chunk of prompt, oldest prompt first", () => {
  const plan = planStep(
    [
      { id: 0, phase: "decode", remaining: 0, admitted: 1 },
      { id: 1, phase: "prefill", remaining: 300, admitted: 3 },
      { id: 2, phase: "prefill", remaining: 100, admitted: 2 },
      { id: 3, phase: "decode", remaining: 0, admitted: 4 },
    ],
    256,
  );
  assert.deepEqual(plan, [
    { id: 0, kind: "decode" },
    { id: 3, kind: "decode" },
    { id: 2, kind: "prefill", tokens: 100, final: true },
    { id: 1, kind: "prefill", tokens: 156, final: false },
  ]);
});

test("a prompt that fits the chunk is finished in the step, with its first sampling", () => {
  assert.deepEqual(planStep([{ id: 0, phase: "prefill", remaining: 5, admitted: 1 }], 256), [
    { id: 0, kind: "prefill", tokens: 5, final: true },
  ]);
  // a prompt beyond the budget waits for the next step, but never starves: the budget goes to it once older ones end
  assert.deepEqual(
    planStep(
      [
        { id: 0, phase: "prefill", remaining: 256, admitted: 1 },
        { id: 1, phase: "prefill", remaining: 3, admitted: 2 },
      ],
      256,
    ),
    [{ id: 0, kind: "prefill", tokens: 256, final: true }],
  );
});

test("planStep: a backlogged slot (its client stopped reading) decodes only in a step that has nothing else", () => {
  const slots = [
    { id: 0, phase: "decode" as const, remaining: 0, admitted: 1, backlogged: true },
    { id: 1, phase: "decode" as const, remaining: 0, admitted: 2 },
  ];
  assert.deepEqual(planStep(slots, 64), [{ id: 1, kind: "decode" }]);
  assert.deepEqual(planStep([slots[0]!, { id: 2, phase: "prefill", remaining: 10, admitted: 3 }], 64), [{ id: 2, kind: "prefill", tokens: 10, final: true }]);
  // nothing else to do: the backlogged ones go on, so they end and free their slots
  assert.deepEqual(planStep([slots[0]!, { ...slots[1]!, id: 3, backlogged: true }], 64), [
    { id: 0, kind: "decode" },
    { id: 3, kind: "decode" },
  ]);
});
