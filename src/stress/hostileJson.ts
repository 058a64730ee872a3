import fc from "fast-check";
import { hostileNumber } from "./hostileNumber.js";
import { hostileString } from "./hostileString.js";
import { rawJson, type RawJson } from "./rawJson.js";

/** Arrays and objects nested `depth` deep, written as text. */
const deepNesting: fc.Arbitrary<RawJson> = fc
  .record({ depth: fc.integer({ min: 2, max: 200_000 }), object: fc.boolean() })
  .map(({ depth, object }) => (object ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`));

/** Values of the wrong type for any field. */
const wrongType: fc.Arbitrary<RawJson> = fc.oneof(
  fc.constantFrom("null", "true", "false", "[]", "{}", '""', '"4"', "[1]", '{"0":1}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":1}}'),
  fc.jsonValue({ maxDepth: 3 }).map(rawJson),
);

/** Any hostile value for any field: a number, a string, a value of the wrong type or a deep nesting. */
export const hostileJson: fc.Arbitrary<RawJson> = fc.oneof(hostileNumber, hostileString, wrongType, deepNesting);
