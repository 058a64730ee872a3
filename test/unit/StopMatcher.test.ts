import assert from "node:assert/strict";
import { test } from "node:test";
import { StopMatcher } from "../../src/engine/StopMatcher.js";

function run(stops: string[], pieces: string[]): { emitted: string[]; stopped: boolean; rest: string } {
  const matcher = new StopMatcher(stops);
  const emitted: string[] = [];
  for (const piece of pieces) {
    const { text, stopped } = matcher.push(piece);
    if (text) emitted.push(text);
    if (stopped) return { emitted, stopped, rest: "" };
  }
  return { emitted, stopped: false, rest: matcher.flush() };
}

test("a stop string inside one piece cuts the text before it", () => {
  assert.deepEqual(run(["###"], ["Hello ### World"]), { emitted: ["Hello "], stopped: true, rest: "" });
});

test("a stop string split across pieces is never emitted, and the text before it is", () => {
  const result = run(["### Instruction:"], ["Sure.\n\n#", "## Instr", "uction:", " more"]);
  assert.equal(result.emitted.join(""), "Sure.\n\n");
  assert.equal(result.stopped, true);
  assert.ok(!result.emitted.some((piece) => piece.includes("#")));
});

test("text that only looked like the start of a stop string is released", () => {
  const result = run(["### Response:"], ["a #", "# b", " c"]);
  assert.equal(result.stopped, false);
  assert.equal(result.emitted.join("") + result.rest, "a ## b c");
});

test("held-back text is returned by flush when generation ends", () => {
  const result = run(["STOP"], ["abc ST"]);
  assert.deepEqual(result, { emitted: ["abc "], stopped: false, rest: "ST" });
});

test("the earliest of several stop strings wins", () => {
  assert.deepEqual(run(["B", "A"], ["xxAyyB"]).emitted, ["xx"]);
});

test("no stop strings: everything passes straight through", () => {
  assert.deepEqual(run([], ["a", "b"]), { emitted: ["a", "b"], stopped: false, rest: "" });
});

test("the stop string found is reported: the earliest, across pieces; none when the text only looked like one", () => {
  const matcher = new StopMatcher(["END", "###"]);
  assert.deepEqual(matcher.push("a #"), { text: "a ", stopped: false });
  assert.deepEqual(matcher.push("## b END"), { text: "", stopped: true, stop: "###" });
  assert.equal(new StopMatcher(["X"]).push("no stop here").stop, undefined);
});
