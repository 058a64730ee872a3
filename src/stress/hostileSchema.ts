import fc from "fast-check";
import { hostileNumber } from "./hostileNumber.js";
import { rawJson as json, type RawJson } from "./rawJson.js";

/** JSON Schemas built to hurt a schema-to-grammar compiler or the closing of a cut output. */
export const hostileSchema: fc.Arbitrary<RawJson> = fc.oneof(
  // deep
  fc.integer({ min: 2, max: 20_000 }).map((depth) => `${'{"type":"object","properties":{"a":'.repeat(depth)}{"type":"string"}${'},"required":["a"]}'.repeat(depth)}`),
  fc.integer({ min: 2, max: 20_000 }).map((depth) => `${'{"type":"array","minItems":1,"items":'.repeat(depth)}{"type":"integer"}${"}".repeat(depth)}`),
  // wide
  fc.integer({ min: 1, max: 20_000 }).map((width) => {
    const names = Array.from({ length: width }, (_, i) => `p${i}`);
    return json({ type: "object", properties: Object.fromEntries(names.map((name) => [name, { type: "string" }])), required: names });
  }),
  // $ref loops: to itself, through another definition, through a required property
  fc.constantFrom(
    json({ $ref: "#/$defs/a", $defs: { a: { $ref: "#/$defs/a" } } }),
    json({ $ref: "#/$defs/a", $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } } }),
    json({ $ref: "#/$defs/n", $defs: { n: { type: "object", properties: { next: { $ref: "#/$defs/n" } }, required: ["next"] } } }),
    json({ $ref: "#/$defs/l", $defs: { l: { type: "array", minItems: 1, items: { $ref: "#/$defs/l" } } } }),
    json({ anyOf: [{ $ref: "#" }] }),
    json({ $ref: "#/$defs/missing" }),
    json({ $ref: "#/$defs/__proto__" }),
    json({ $ref: "http://127.0.0.1:1/schema.json" }),
  ),
  // huge bounds
  fc
    .record({ keyword: fc.constantFrom("minItems", "maxItems", "minLength", "maxLength"), value: hostileNumber })
    .map(({ keyword, value }) =>
      keyword.endsWith("Items") ? `{"type":"array","items":{"type":"string"},"${keyword}":${value}}` : `{"type":"string","${keyword}":${value}}`,
    ),
  fc.constantFrom(
    json({ type: "array", items: { type: "string", minLength: 1_000_000 }, minItems: 1_000_000 }),
    json({ type: "object", properties: { a: { type: "string", minLength: 100_000_000 } }, required: ["a"] }),
    json({ type: "string", format: "toString" }),
    json({ type: "string", format: "__proto__" }),
    json({ type: "string", format: "constructor" }),
    json({ type: "toString" }),
    json({ type: ["string", "null", "object", "array", "integer", "number", "boolean"] }),
    '{"type":"object","properties":{"__proto__":{"type":"string"},"constructor":{"type":"integer"}},"required":["__proto__","constructor"]}',
    json({ type: "object", additionalProperties: { $ref: "#" } }),
  ),
  // enums sharing prefixes, and consts
  fc.integer({ min: 2, max: 5_000 }).map((count) => json({ enum: Array.from({ length: count }, (_, i) => "a".repeat(i + 1)) })),
  fc.array(fc.string({ unit: "binary", maxLength: 8 }), { maxLength: 50 }).map((values) => json({ enum: values.flatMap((v) => [v, `${v}${v}`]) })),
  fc.jsonValue({ maxDepth: 4 }).map(json),
);
