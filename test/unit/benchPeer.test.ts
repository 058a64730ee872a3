import assert from "node:assert/strict";
import { test } from "node:test";
import { ChatConversations } from "../../src/bench/ChatConversations.js";
import { chatRows } from "../../src/bench/chatRows.js";
import { chatSummary } from "../../src/bench/chatSummary.js";
import { chatTargets } from "../../src/bench/chatTargets.js";
import { afterRestart, CHAT_CACHE_OFF, CHAT_DISK_CACHE, CHAT_RAM_CACHE } from "../../src/bench/chatVariants.js";
import type { ChatRun } from "../../src/bench/ChatWorkload.js";
import { peerColumns, type ServingFigures } from "../../src/bench/peerColumns.js";
import type { PeerResult } from "../../src/bench/PeerRounds.js";

test("chat turns come round-robin; each request is the conversation so far with the answers as returned", () => {
  const chat = new ChatConversations(["system A", "system B", "system C"], 3);
  assert.deepEqual(
    chat.order().map((key) => `${key.conversation}/${key.turn}`),
    ["0/1", "1/1", "2/1", "0/2", "1/2", "2/2", "0/3", "1/3", "2/3"],
  );
  const first = chat.request({ conversation: 1, turn: 1 });
  assert.deepEqual(
    first.map((m) => m.role),
    ["system", "user"],
  );
  assert.equal(first[0]!.content, "system B");
  assert.throws(() => chat.request({ conversation: 1, turn: 2 }), /turn 2 asked before turn 1 was answered/);
  chat.answered({ conversation: 1, turn: 1 }, " answer, with its own spacing ");
  const second = chat.request({ conversation: 1, turn: 2 });
  assert.deepEqual(second.slice(0, 2), first, "the earlier request is the start of the later one");
  assert.deepEqual(second[2], { role: "assistant", content: " answer, with its own spacing " });
  assert.equal(second[3]!.role, "user");
  assert.notEqual(second[3]!.content, first[1]!.content, "every turn asks something new");
  assert.notEqual(chat.request({ conversation: 0, turn: 1 })[1]!.content, first[1]!.content, "and every conversation");
  // a replay sends the very same request again
  assert.equal(chat.sentRequest({ conversation: 1, turn: 2 }), second);
  assert.throws(() => chat.sentRequest({ conversation: 2, turn: 2 }), /never sent/);
});

const turn = (conversation: number, t: number, ttftMs: number, cachedTokens: number | null = 0) => ({
  conversation,
  turn: t,
  ttftMs,
  promptTokens: 100 * t,
  cachedTokens,
  completionTokens: 8,
});

test("a chat run's figures keep first and returning turns apart", () => {
  const run: ChatRun = { variant: "v", turns: [turn(0, 1, 100), turn(1, 1, 300), turn(0, 2, 10, 150), turn(1, 2, 30, 170), turn(0, 3, 20, null)] };
  const figures = chatSummary(run);
  assert.deepEqual([figures.conversations, figures.turns], [2, 3]);
  assert.deepEqual(figures.first, { count: 2, p50: 200, p95: 290 });
  assert.deepEqual(figures.returning, { count: 3, p50: 20, p95: 29 });
  assert.equal(figures.returningPromptTokens, 200);
  assert.equal(figures.returningCachedTokens, 160, "turns without a cached count are left out");
});

const run = (variant: string, returningMs: number): ChatRun => ({ variant, turns: [turn(0, 1, 1000), turn(0, 2, returningMs), turn(1, 2, returningMs)] });

test("the chat targets compare returning turns with the cache off, and are judged only on the variants that ran", () => {
  assert.deepEqual(chatTargets([run(CHAT_CACHE_OFF, 1000)]), []);
  assert.deepEqual(
    chatTargets([run(CHAT_CACHE_OFF, 1000), run(CHAT_RAM_CACHE, 250), run(CHAT_DISK_CACHE, 400), run(afterRestart(CHAT_DISK_CACHE), 600)]).map((t) => [t.met, t.value]),
    [
      [true, "0.25×"],
      [false, "0.60×"],
    ],
  );
});

const figures = (decode: number[], chat: ChatRun[]): ServingFigures => ({ decodeHttp: decode, concurrency: [], ttftCold: [], ttftWarm: [], chat });
const peer = (url: string, decode: number[], extra: Partial<PeerResult> = {}): PeerResult => ({
  ...figures(decode, [run("peer", 50)]),
  url,
  apiUrl: url,
  modelId: "m",
  tokensCountedBy: "usage",
  warmCachedTokens: [],
  ...extra,
});

test("each peer gets a column and a ratio to hermes on compared rows, blanks on hermes' own; a failure is said", () => {
  const hermes = { ...figures([40, 50], [run(CHAT_CACHE_OFF, 100)]), peers: [peer("http://a/v1", [20, 20]), peer("http://b/v1", [], { tokensCountedBy: "chunks", failed: "run 1: ECONNREFUSED" })] };
  const columns = peerColumns([hermes]);
  assert.deepEqual(columns.headers, ["peer http://a/v1 (m; tokens from its usage)", "peer / hermes", "peer http://b/v1 (m; tokens counted as text chunks; FAILED)", "peer / hermes"]);
  assert.deepEqual(columns.blanks, ["–", "–", "–", "–"]);
  const median = (f: ServingFigures) => [f.decodeHttp.length ? f.decodeHttp.reduce((a, b) => a + b) / f.decodeHttp.length : NaN];
  assert.deepEqual(
    columns.cells((f) => String(median(f)[0]), median),
    ["20", "0.44×", "NaN", "–"],
  );
  assert.deepEqual(
    columns.cells(
      () => "x",
      (f) => (f === hermes ? [10, 20] : [5, 30]),
    ),
    ["x", "0.50× / 1.50×", "x", "0.50× / 1.50×"],
  );
  assert.deepEqual(columns.failures, ["peer http://b/v1 FAILED (its figures are those before): run 1: ECONNREFUSED"]);
  // peers compare with one model only: with two, no columns
  assert.deepEqual(peerColumns([hermes, { ...hermes, peers: [] }]).headers, []);
});

test("the chat rows show each hermes variant, with a peer's one run beside each", () => {
  const hermes = figures([], [run(CHAT_CACHE_OFF, 100), run(afterRestart(CHAT_DISK_CACHE), 40)]);
  const rows = chatRows([hermes]);
  assert.equal(rows.length, 6);
  const returning = rows.find((row) => row.name.endsWith("after a restart: TTFT p50 / p95 ms, returning turns"))!;
  assert.match(returning.name, /^chat workload \(2 conversations × 2 turns, 2 in flight\), disk cache, after a restart/);
  assert.equal(returning.cell(hermes), "40 / 40");
  const other = peer("http://a/v1", []);
  assert.deepEqual(returning.value(other), [50, 50]);
  assert.equal(rows.find((row) => row.name.endsWith("cache off: TTFT p50 / p95 ms, first turns"))!.cell(other), "1000 / 1000");
  assert.equal(rows.find((row) => row.name.endsWith("cache off: prompt / cached tokens of a returning turn (p50)"))!.cell(hermes), "200 / 0");
});
