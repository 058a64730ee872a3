import assert from "node:assert/strict";
import { test } from "node:test";
import type { TokenLogprob } from "../../src/engine/types.js";
import { Moderator, type ModerationMode } from "../../src/moderation/Moderator.js";
import { profanityCheck } from "../../src/moderation/profanityCheck.js";
import { ToolCallParser } from "../../src/tools/ToolCallParser.js";
import { bestChoices } from "../../src/serving/bestChoices.js";
import { gatheredChoices } from "../../src/serving/gatheredChoices.js";
import type { ChoiceEvent } from "../../src/serving/generateChoices.js";
import type { PipelineEvent } from "../../src/serving/pipelineTypes.js";
import { streamedChoices } from "../../src/serving/streamedChoices.js";

const usage = (promptTokens: number, completionTokens: number) => ({ promptTokens, completionTokens, cachedTokens: 0 });
const token = (text: string, logprob: number): TokenLogprob => ({ token: 1, text, bytes: [], logprob, top: [], offset: 0 });
const done = (index: number, completionTokens: number): ChoiceEvent => ({ type: "done", index, finishReason: "length", usage: usage(3, completionTokens), queueMs: 0, promptMs: 0, generationMs: 0 });

async function* source(events: readonly ChoiceEvent[]): AsyncGenerator<ChoiceEvent> {
  yield* events;
}

async function collect(events: AsyncIterable<PipelineEvent>): Promise<PipelineEvent[]> {
  const all: PipelineEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

function streamed(events: readonly ChoiceEvent[], mode: ModerationMode, choices: number, tools?: ReadonlySet<string>) {
  const moderator = new Moderator(mode, [profanityCheck]);
  const halts = moderator.blocks ? Array.from({ length: choices }, () => new AbortController()) : [];
  const outputs = Array.from({ length: choices }, () => moderator.stream("prompt"));
  const parser = () => (tools ? new ToolCallParser(tools) : undefined);
  return { halts, events: streamedChoices(source(events), { perPrompt: choices, outputs, halts, parser }) };
}

test("streamed, blocking: a flagged piece and all after it are dropped, its choice halted and ended as content_filter; the other goes on", async () => {
  const { halts, events } = streamed(
    [
      { type: "text", index: 0, text: "Hello" },
      { type: "text", index: 1, text: "calm" },
      { type: "text", index: 0, text: " fuck" },
      { type: "text", index: 0, text: " there" },
      { type: "text", index: 1, text: " sea" },
      done(0, 3),
      done(1, 2),
    ],
    "block",
    2,
  );
  const all = await collect(events);
  assert.deepEqual(
    all.map((e) => [e.type, "index" in e ? e.index : -1, e.type === "text" ? e.text : e.type === "done" ? e.finishReason : ""]),
    [["start", 0, ""], ["start", 1, ""], ["text", 0, "Hello"], ["text", 1, "calm"], ["text", 1, " sea"], ["done", 0, "content_filter"], ["done", 1, "length"], ["usage", -1, ""]],
  );
  assert.deepEqual([halts[0]!.signal.aborted, halts[1]!.signal.aborted], [true, false]);
  const first = all.find((e) => e.type === "done" && e.index === 0);
  assert.equal(first?.type === "done" && first.verdict?.profanity, true);
  // both prompts' tokens count once per prompt (one prompt, two choices) and every choice's completion tokens
  assert.deepEqual(all.at(-1), { type: "usage", usage: usage(3, 5) });
});

test("streamed, reporting: nothing is withheld or halted, the verdict travels with the pieces; off: no verdict at all", async () => {
  const events: ChoiceEvent[] = [{ type: "text", index: 0, text: "you fuck" }, { type: "text", index: 0, text: " off" }, done(0, 2)];
  const reported = await collect(streamed(events, "report", 1).events);
  assert.deepEqual(reported.flatMap((e) => (e.type === "text" ? [e.text] : [])), ["you fuck", " off"]);
  assert.deepEqual(reported.flatMap((e) => (e.type === "text" || e.type === "done" ? [e.verdict?.profanity] : [])), [true, true, true]);
  assert.equal(reported.find((e) => e.type === "done")?.type === "done" && (reported.find((e) => e.type === "done") as { finishReason: string }).finishReason, "length");
  const off = await collect(streamed(events, "off", 1).events);
  assert.ok(off.every((e) => !("verdict" in e) || e.verdict === undefined));
});

test("streamed with tools: calls are split out as they stream, the rest flushed at the end, the choice ends as tool_calls", async () => {
  const { events } = streamed(
    [
      { type: "text", index: 0, text: "Sure <tool_" },
      { type: "text", index: 0, text: 'call>{"name": "ping", "arguments": {}}</tool_call> bye <tool' },
      done(0, 4),
    ],
    "report",
    1,
    new Set(["ping"]),
  );
  const all = await collect(events);
  const pieces = all.flatMap((e) => (e.type === "text" || e.type === "done" ? [[e.type, ...e.pieces]] : []));
  assert.deepEqual(pieces, [
    ["text", { type: "content", text: "Sure" }],
    ["text", { type: "call", call: { name: "ping", arguments: "{}" } }, { type: "content", text: " bye" }],
    // what might have been a marker is held back until the end, then it is content
    ["done", { type: "content", text: " <tool" }],
  ]);
  assert.equal((all.find((e) => e.type === "done") as { finishReason: string }).finishReason, "tool_calls");
});

test("gathered, blocking: a flagged choice is withheld whole (no text, calls or logprobs), the clean one is kept; the usage counts both", async () => {
  const { choices, usage: total } = await gatheredChoices(
    source([
      { type: "prompt", index: 1, logprobs: [token("P", -1)] },
      { type: "text", index: 0, text: "what the fuck", logprobs: [token("x", -2)] },
      { type: "text", index: 1, text: "calm sea", logprobs: [token("y", -1)] },
      done(1, 2),
      done(0, 3),
    ]),
    { moderator: new Moderator("block", [profanityCheck]), moderated: () => "prompt", perPrompt: 2, keep: 2, parser: () => undefined },
  );
  assert.deepEqual(
    choices.map((c) => [c.index, c.text, c.pieces.length, c.logprobs.length, c.promptLogprobs.length, c.finishReason, c.verdict?.profanity]),
    [[0, "", 0, 0, 0, "content_filter", true], [1, "calm sea", 1, 1, 1, "length", false]],
  );
  assert.deepEqual(total, usage(3, 5));
});

test("best_of: each prompt keeps its best candidates by score, renumbered prompt × keep + rank; without it, index order", () => {
  const candidates = [
    { index: 0, score: -3 },
    { index: 1, score: -1 },
    { index: 2, score: -2 },
    { index: 3, score: -0.5 },
    { index: 4, score: -Infinity },
    { index: 5, score: -4 },
  ];
  assert.deepEqual(
    bestChoices(candidates, 3, 2).map((c) => [c.index, c.score]),
    [[0, -1], [1, -2], [2, -0.5], [3, -4]],
  );
  assert.deepEqual(bestChoices([...candidates].reverse(), 3, 3).map((c) => c.score), [-3, -1, -2, -0.5, -Infinity, -4]);
});
