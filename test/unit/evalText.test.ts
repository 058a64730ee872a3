import assert from "node:assert/strict";
import { test } from "node:test";
import { encodePair, type Encode } from "../../src/eval/encodePair.js";
import { hellaswagPreprocess, pythonCapitalize } from "../../src/eval/hellaswagPreprocess.js";
import { Mt19937 } from "../../src/eval/Mt19937.js";
import { numpyPermutation } from "../../src/eval/numpyPermutation.js";
import { pythonShuffle } from "../../src/eval/pythonShuffle.js";
import { pythonStrip } from "../../src/eval/pythonStrip.js";

test("MT19937 seeded as numpy seeds it: the first outputs for seed 42", () => {
  const random = new Mt19937(42);
  assert.deepEqual([random.next32(), random.next32(), random.next32()], [1608637542, 3421126067, 4083286876]);
});

test("numpy RandomState(42).permutation(n) for the choice counts BigBench uses", () => {
  const expected: Record<number, number[]> = {
    2: [1, 0],
    3: [0, 1, 2],
    4: [1, 3, 0, 2],
    5: [1, 4, 2, 0, 3],
    6: [0, 1, 5, 2, 4, 3],
    7: [0, 1, 5, 2, 4, 3, 6],
    8: [1, 5, 0, 7, 2, 4, 3, 6],
    9: [7, 1, 5, 0, 8, 2, 4, 3, 6],
    10: [8, 1, 5, 0, 7, 2, 9, 4, 3, 6],
    11: [5, 0, 9, 10, 2, 1, 8, 4, 7, 3, 6],
  };
  for (const [n, permutation] of Object.entries(expected)) assert.deepEqual(numpyPermutation(Number(n), 42), permutation, `n=${n}`);
});

test("HellaSwag preprocessing and Python's capitalize, on the harness's own example", () => {
  const query = hellaswagPreprocess(
    `Home and Garden: [header] How to clean a grill [title] Heat the grill on high. [step] Close the lid ${pythonCapitalize("and wait 15 MINUTES.")}`,
  );
  assert.equal(query, "Home and Garden: How to clean a grill. Heat the grill on high. Close the lid And wait 15 minutes.");
  // strip before the tags go: the leading space of the tag's removal stays, and 3 spaces become 2 in one pass
  assert.equal(hellaswagPreprocess("  [substeps] Scrub   the grates.  "), " Scrub  the grates.");
  assert.equal(pythonCapitalize("éCOLE"), "École");
  assert.equal(pythonCapitalize(""), "");
});

test("Python's strip: its whitespace, not JavaScript's", () => {
  assert.equal(pythonStrip("\x1c\x85 text\u3000\n"), "text");
  assert.equal(pythonStrip("\ufefftext"), "\ufefftext", "U+FEFF is not whitespace to Python");
});

/** A toy tokenizer: every maximal run of letters, or any other single character, is one token (its char code). */
const encode: Encode = (text) => (text.match(/[a-z]+|[^a-z]/gi) ?? []).map((piece) => piece.length * 1000 + piece.charCodeAt(0));

test("encodePair moves the context's trailing whitespace (newlines too) into the continuation", async () => {
  const pair = await encodePair(encode, "Q: sky?\nA: ", "blue");
  assert.deepEqual(pair.context, encode("Q: sky?\nA:"));
  assert.deepEqual(pair.continuation, encode(" blue"));
  const moved = await encodePair(encode, "error pertaining to \n", "Modifiers");
  assert.deepEqual(moved.continuation, encode(" \nModifiers"));
});

test("encodePair: the continuation is the tail of the joint tokenization beyond the context's own tokens", async () => {
  // "ab" + "cd e" merges into "abcd" jointly: the context is still read as its own 3 tokens, and the continuation
  // is what the joint tokenization has past 3 tokens (" ", "e"): the harness's behaviour, "cd" included in no token
  const pair = await encodePair(encode, "x ab", "cd e");
  assert.deepEqual(pair.context, encode("x ab"));
  assert.deepEqual(pair.continuation, encode(" e"));
  // nothing left past the context is an error, as the harness's assertion
  await assert.rejects(encodePair(encode, "x abc", "d"), /has no tokens/);
});

test("Python's random.Random(42): its generator and shuffle, as the harness orders documents before --limit", () => {
  const random = Mt19937.python(42);
  // python3 -c "import random; r = random.Random(42); print([r.getrandbits(32) for _ in range(3)])"
  assert.deepEqual([random.next32(), random.next32(), random.next32()], [2746317213, 478163327, 107420369]);
  // python3 -c "import random; r = random.Random(42); x = list(range(10)); r.shuffle(x); print(x)"
  assert.deepEqual(pythonShuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 42), [7, 3, 2, 8, 5, 6, 9, 4, 0, 1]);
  const thousand = Array.from({ length: 1000 }, (_, i) => i);
  assert.deepEqual(pythonShuffle(thousand, 42).slice(0, 12), [776, 507, 895, 922, 33, 483, 85, 750, 354, 523, 184, 809]);
});
