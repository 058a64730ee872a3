import fc from "fast-check";
import { rawJson, type RawJson } from "./rawJson.js";

/** Text that is legal JSON but odd: lone surrogates, controls, bidi marks, the templates' own markers, long runs. */
export const hostileString: fc.Arbitrary<RawJson> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 64 }).map(rawJson),
  fc.string({ unit: "grapheme", maxLength: 64 }).map(rawJson),
  fc.constantFrom("\ud800", "a\udfffb", "\u0000", "\u202e\u200b\ufeff", "<s></s>", "### Response:", "<tool_call>", "<|im_start|>", "[INST]", "{{ 7*7 }}", "%s%n").map(rawJson),
  fc.constantFrom('"\\ud800\\udc00\\ud800"', '"\\u0000\\u0000"', '"\\uDFFF"'),
  // long, within the 8 MiB body limit
  fc.record({ piece: fc.constantFrom("a", "é", "😀", " ", "\n", "</s>"), times: fc.integer({ min: 1, max: 300_000 }) }).map(({ piece, times }) => rawJson(piece.repeat(times))),
);
