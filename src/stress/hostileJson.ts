import fc from "fast-check";

/**
 * Hostile values as raw JSON text, so that what JSON.stringify cannot write still reaches the server: nesting
 * deeper than any stack (stringify would overflow on our side), numbers past double range (`1e999`), `-0`.
 */
export type RawJson = string;

const json = (value: unknown): RawJson => JSON.stringify(value);

/** Numbers at and past every bound a field could have: huge, negative, fractional, the edges of int32 and doubles. */
export const hostileNumber: fc.Arbitrary<RawJson> = fc.oneof(
  fc.constantFrom("1000000000", "1e999", "-1e999", "1e308", "9007199254740993", "2147483648", "-2147483649", "-1", "0", "-0", "0.5", "1.5", "-0.5", "1e-300", "129", "21", "6", "4097", "65536"),
  fc.integer().map(json),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(json),
);

/** Text that is legal JSON but odd: lone surrogates, controls, bidi marks, the templates' own markers, long runs. */
export const hostileString: fc.Arbitrary<RawJson> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 64 }).map(json),
  fc.string({ unit: "grapheme", maxLength: 64 }).map(json),
  fc.constantFrom("\ud800", "a\udfffb", "\u0000", "\u202e\u200b\ufeff", "<s></s>", "### Response:", "<tool_call>", "<|im_start|>", "[INST]", "{{ 7*7 }}", "%s%n").map(json),
  fc.constantFrom('"\\ud800\\udc00\\ud800"', '"\\u0000\\u0000"', '"\\uDFFF"'),
  // long, within the 8 MiB body limit
  fc.record({ piece: fc.constantFrom("a", "é", "😀", " ", "\n", "</s>"), times: fc.integer({ min: 1, max: 300_000 }) }).map(({ piece, times }) => json(piece.repeat(times))),
);

/** Arrays and objects nested `depth` deep, written as text. */
export const deepNesting: fc.Arbitrary<RawJson> = fc
  .record({ depth: fc.integer({ min: 2, max: 200_000 }), object: fc.boolean() })
  .map(({ depth, object }) => (object ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`));

/** Values of the wrong type for any field. */
export const wrongType: fc.Arbitrary<RawJson> = fc.oneof(
  fc.constantFrom("null", "true", "false", "[]", "{}", '""', '"4"', "[1]", '{"0":1}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":1}}'),
  fc.jsonValue({ maxDepth: 3 }).map(json),
);

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
