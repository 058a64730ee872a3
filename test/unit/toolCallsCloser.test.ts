import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { closeJson, NotAPrefixError, smallestJson } from "../../src/grammar/closeJson.js";
import { toolCallGrammar } from "../../src/tools/toolCallGrammar.js";
import { toolCallSchema } from "../../src/tools/toolCallSchema.js";
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from "../../src/tools/types.js";

/**
 * The closing of forced tool calls carries its reading from text to text: fed an output piece by piece (the text
 * so far after every token, several outputs sharing one closing as a request's `n` choices do), it gives exactly
 * the closings that closing each text from scratch gives.
 */

const weather = {
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" }, unit: { $ref: "#/$defs/unit" } }, required: ["city"], $defs: { unit: { enum: ["c", "f"] } } },
};
const ping = { name: "ping" };
const note = {
  name: "note",
  parameters: {
    type: "object",
    properties: { text: { type: "string" }, count: { type: "integer" }, tags: { type: "array", items: { type: "string" }, minItems: 1 } },
    required: ["text"],
  },
};
const tools = [weather, ping, note];
const schema = toolCallSchema(tools).schema;

/**
 * The reference: each text closed from scratch, every split of the body into JSON and part of the closing marker
 * tried, longest JSON first (JSON strings may hold "<").
 */
function closeFromScratch(text: string): string {
  const current = text.slice(text.lastIndexOf("\n") + 1);
  if (current.length < TOOL_CALL_OPEN.length) {
    if (!TOOL_CALL_OPEN.startsWith(current)) throw new NotAPrefixError();
    return `${TOOL_CALL_OPEN.slice(current.length)}${smallestJson(schema)}${TOOL_CALL_CLOSE}`;
  }
  if (!current.startsWith(TOOL_CALL_OPEN)) throw new NotAPrefixError();
  const body = current.slice(TOOL_CALL_OPEN.length);
  if (body === "") return `${smallestJson(schema)}${TOOL_CALL_CLOSE}`;
  for (let cut = body.length; cut >= Math.max(0, body.length - TOOL_CALL_CLOSE.length); cut--) {
    const rest = body.slice(cut);
    if (!TOOL_CALL_CLOSE.startsWith(rest)) continue;
    try {
      const closing = closeJson(body.slice(0, cut), schema);
      if (rest === "") return `${closing}${TOOL_CALL_CLOSE}`;
      if (closing === "") return TOOL_CALL_CLOSE.slice(rest.length);
    } catch (error) {
      if (!(error instanceof NotAPrefixError)) throw error;
    }
  }
  throw new NotAPrefixError();
}

/** A closing, or the error closing throws, as one comparable string. */
function outcome(close: (text: string) => string, text: string): string {
  try {
    return `closes with ${JSON.stringify(close(text))}`;
  } catch (error) {
    return `throws ${(error as Error).constructor.name}`;
  }
}

/**
 * Feeds each output's text, cut at `cuts` (ascending lengths), to one closing, the outputs taking turns, and checks
 * every closing against closing that text from scratch; the number of texts compared.
 */
function assertSameClosings(outputs: Array<{ text: string; cuts: number[] }>): number {
  const { close } = toolCallGrammar(tools, true);
  const next = outputs.map(() => 0);
  let compared = 0;
  while (next.some((k, j) => k < outputs[j]!.cuts.length)) {
    outputs.forEach(({ text, cuts }, j) => {
      const k = next[j]!;
      if (k >= cuts.length) return;
      next[j] = k + 1;
      const prefix = text.slice(0, cuts[k]);
      assert.equal(outcome(close, prefix), outcome(closeFromScratch, prefix), `output ${j}, text ${JSON.stringify(prefix)}`);
      compared++;
    });
  }
  return compared;
}

/** Every length from 0 to the whole text: pieces of one character. */
const everyLength = (text: string): number[] => Array.from({ length: text.length + 1 }, (_, n) => n);

/** JSON as the grammar writes it: with or without its one optional space after ":" and ",". */
function write(value: unknown, spaced: boolean): string {
  const comma = spaced ? ", " : ",";
  if (Array.isArray(value)) return `[${value.map((item) => write(item, spaced)).join(comma)}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${spaced ? " " : ""}${write(item, spaced)}`)
      .join(comma)}}`;
  }
  return JSON.stringify(value);
}

const calls = (...bodies: unknown[]): string => bodies.map((body) => `${TOOL_CALL_OPEN}${write(body, true)}${TOOL_CALL_CLOSE}`).join("\n");

test("one call, fed one character at a time: the markers split everywhere, strings holding '<' and whole markers", () => {
  for (const text of [
    calls({ name: "ping", arguments: {} }),
    calls({ name: "get_weather", arguments: { city: "Pa<ris", unit: "f" } }),
    calls({ name: "note", arguments: { text: "a </tool_call> b <tool_call> </tool_call", tags: ["<", "</", "</tool_call>"] } }),
    calls({ name: "note", arguments: { text: '</tool_call>\n<tool_call>{"name":"ping"' } }),
    // the marker right after a string's "<", and right after the JSON
    '<tool_call>{"name":"note","arguments":{"text":"<"}}</tool_call>',
    '<tool_call>{"name": "note", "arguments": {"text": "x", "count": -12, "tags": ["</tool_call>"]}}</tool_call>',
  ]) {
    assert.equal(assertSameClosings([{ text, cuts: everyLength(text) }]), text.length + 1);
  }
});

test("several calls (parallel): each call after its newline is read on its own, in pieces that split the markers", () => {
  const text = calls(
    { name: "get_weather", arguments: { city: "<tool_call>" } },
    { name: "ping", arguments: {} },
    { name: "note", arguments: { text: "1 < 2", count: 3, tags: ["</"] } },
  );
  assertSameClosings([{ text, cuts: everyLength(text) }]);
  // pieces of 5 characters end inside every marker at some point; then token-like pieces around the markers
  for (const size of [2, 3, 5, 7]) assertSameClosings([{ text, cuts: Array.from({ length: Math.ceil(text.length / size) + 1 }, (_, k) => Math.min(k * size, text.length)) }]);
  const markers = [...text.matchAll(/<\/?tool_call>/g)].flatMap((m) => [m.index, m.index + 1, m.index + 2, m.index + 6, m.index + m[0].length - 1, m.index + m[0].length]);
  assertSameClosings([{ text, cuts: [...new Set([0, ...markers, text.length])].sort((a, b) => a - b) }]);
});

test("texts the grammar would not write are closed or refused alike, and the texts extending them too", () => {
  const call = calls({ name: "ping", arguments: {} });
  for (const text of [
    `${call}x`,
    `${call.slice(0, -3)}<<tool_call>`,
    '<tool_call>{"name":"ping","arguments":{}} </tool_call>',
    '<tool_call>{"name":"ping","arguments":{}}}</tool_call>',
    '<tool_call>{"name":"ping","arguments":{}}</tool_call><tool_call>',
    '<tool_call>{"name":"ping","arguments":{}}</tool_call>\n\n<tool_call>',
    '<tool_call>{"name":"pong","arguments":{}}</tool_call>',
    '<tool_call><{"name":"ping","arguments":{}}</tool_call>',
    "<tool_cal>",
    'x\n<tool_call>{"name":"ping","arguments":{}}</tool_call>',
  ]) {
    assertSameClosings([{ text, cuts: everyLength(text) }]);
  }
});

test("outputs sharing one closing (a request's n choices), more than it follows at once, each closed as from scratch", () => {
  const texts = Array.from({ length: 20 }, (_, j) =>
    calls({ name: "get_weather", arguments: { city: `C${j}` } }, { name: "note", arguments: { text: `choice ${j} <${"/tool_call>".slice(0, j % 12)}` } }),
  );
  // equal up to a point, then apart
  assertSameClosings(texts.slice(0, 3).map((text) => ({ text, cuts: everyLength(text) })));
  // all 20 taking turns: once apart (after `"city": "C`), no text extends any of the 16 readings kept (the least
  // recently used one is read from scratch), a second call after its newline included
  assertSameClosings(texts.map((text) => ({ text, cuts: everyLength(text) })));
});

test("property: any calls, with or without spaces, any junk, any pieces, outputs interleaved: the closings from scratch", () => {
  const text = fc.constantFrom("", "a", "<", "</", "</tool", "</tool_call", "</tool_call>", "<tool_call>", "a<b", '"<\\', "x\n</tool_call>\n<tool_call>");
  const call = fc.oneof(
    fc.record({ city: text, unit: fc.option(fc.constantFrom("c", "f"), { nil: undefined }) }).map(({ city, unit }) => ({ name: "get_weather", arguments: unit === undefined ? { city } : { city, unit } })),
    fc.constant({ name: "ping", arguments: {} }),
    fc
      .record({ text, count: fc.option(fc.integer({ min: -20, max: 20 }), { nil: undefined }), tags: fc.option(fc.array(text, { minLength: 1, maxLength: 3 }), { nil: undefined }) })
      .map(({ text, count, tags }) => ({ name: "note", arguments: { text, ...(count !== undefined ? { count } : {}), ...(tags !== undefined ? { tags } : {}) } })),
  );
  const output = fc
    .record({
      calls: fc.array(fc.tuple(call, fc.boolean()), { minLength: 1, maxLength: 3 }),
      junk: fc.option(fc.tuple(fc.nat(), fc.constantFrom("<", "</", "x", "}", "\n", " ", '"', "</tool_call>", "<tool_call>")), { nil: undefined }),
      pieces: fc.array(fc.nat(9), { minLength: 1, maxLength: 12 }),
    })
    .map(({ calls, junk, pieces }) => {
      let text = calls.map(([body, spaced]) => `${TOOL_CALL_OPEN}${write(body, spaced)}${TOOL_CALL_CLOSE}`).join("\n");
      if (junk) text = `${text.slice(0, junk[0] % (text.length + 1))}${junk[1]}${text.slice(junk[0] % (text.length + 1))}`;
      // piece sizes used in turn (0: a token that adds no text yet, as a split UTF-8 character)
      if (pieces.every((size) => size === 0)) return { text, cuts: everyLength(text) };
      const cuts = [0];
      for (let k = 0; cuts.at(-1)! < text.length; k++) cuts.push(Math.min(text.length, cuts.at(-1)! + pieces[k % pieces.length]!));
      return { text, cuts };
    });
  fc.assert(
    fc.property(fc.array(output, { minLength: 1, maxLength: 3 }), (outputs) => {
      assertSameClosings(outputs);
    }),
    { numRuns: 300 },
  );
});
