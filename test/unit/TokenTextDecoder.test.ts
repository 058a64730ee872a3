import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenTextDecoder } from "../../src/engine/TokenTextDecoder.js";

// A byte-level vocabulary: token n is the byte n (tokens >= 1000 are the word " w"), decoded the way llama.cpp
// decodes an incomplete UTF-8 sequence (a replacement character).
const detokenize = (tokens: number[]): string =>
  Buffer.from(tokens.flatMap((t) => (t >= 1000 ? [...Buffer.from(" w")] : [t]))).toString("utf8");

test("a character split over several byte tokens comes out whole, once", () => {
  const decoder = new TokenTextDecoder(detokenize, []);
  const bytes = [...Buffer.from("é你🦙")];
  const pieces = bytes.map((b) => decoder.push(b)).filter((p) => p !== "");
  assert.equal(pieces.join(""), "é你🦙");
  assert.deepEqual(pieces, ["é", "你", "🦙"]);
  assert.ok(pieces.every((p) => !p.includes("\uFFFD")));
});

test("ordinary tokens come out one piece per token", () => {
  const decoder = new TokenTextDecoder(detokenize, [1000]);
  assert.deepEqual([1000, 1000].map((t) => decoder.push(t)), [" w", " w"]);
});

test("an invalid byte sequence is given up after four tokens instead of holding text forever", () => {
  const decoder = new TokenTextDecoder(detokenize, []);
  const pieces = [0xff, 0xff, 0xff, 0xff].map((b) => decoder.push(b));
  assert.deepEqual(pieces.slice(0, 3), ["", "", ""]);
  assert.ok(pieces[3]?.includes("\uFFFD"));
});
