import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { assertClosable, closeJson, jsonCloser, smallestJson } from "../../src/grammar/closeJson.js";
import { jsonSchemaGrammar } from "../../src/grammar/jsonSchemaGrammar.js";

/**
 * Property: for any schema of the supported subset, any value it accepts, written as the grammar writes it (with or
 * without the optional spaces), and any cut-off point, the closed text parses and validates.
 */

const ajv = new Ajv2020({ strict: false });
// the shapes the grammar enforces (a model can write a 13th month: the grammar checks digits, not calendars)
ajv.addFormat("date", /^\d{4}-\d{2}-\d{2}$/);
ajv.addFormat("time", /^\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/);
ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/);
ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

type Schema = Record<string, unknown>;

/** Values that share prefixes with each other, the hard case for a closing that reads one alternative at a time. */
const scalars = fc.constantFrom<unknown>(1, 12, 123, -1, -12, 0, 2.5, 25, "a", "ab", "abc", "", true, false, null);
const names = fc.uniqueArray(fc.constantFrom("a", "ab", "b", "name", "n\"q", "x y"), { minLength: 1, maxLength: 4 });

const schemaArbitrary: fc.Arbitrary<Schema> = fc.letrec<{ schema: Schema }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<Schema>(
      { type: "integer" },
      { type: "integer", minimum: 0 },
      { type: "number" },
      { type: "boolean" },
      { type: "null" },
      { type: ["string", "null"] },
      { type: "string", format: "date" },
      { type: "string", format: "time" },
      { type: "string", format: "date-time" },
      { type: "string", format: "uuid" },
      {},
    ),
    fc.record({ minLength: fc.nat(3), extra: fc.option(fc.nat(4), { nil: undefined }) }).map(({ minLength, extra }) => ({
      type: "string",
      minLength,
      ...(extra !== undefined ? { maxLength: minLength + extra } : {}),
    })),
    fc.uniqueArray(scalars, { minLength: 1, maxLength: 5, comparator: (a, b) => JSON.stringify(a) === JSON.stringify(b) }).map((values) => ({ enum: values })),
    scalars.map((value) => ({ const: value })),
    fc.tuple(tie("schema"), tie("schema")).map(([a, b]) => ({ anyOf: [a, b] })),
    fc.record({ items: tie("schema"), min: fc.nat(2), extra: fc.option(fc.nat(3), { nil: undefined }) }).map(({ items, min, extra }) => ({
      type: "array",
      items,
      minItems: min,
      ...(extra !== undefined ? { maxItems: min + extra } : {}),
    })),
    fc.array(tie("schema"), { minLength: 1, maxLength: 3 }).map((prefixItems) => ({ type: "array", prefixItems, items: false })),
    names.chain((keys) =>
      fc.record({ values: fc.tuple(...keys.map(() => tie("schema"))), required: fc.subarray(keys) }).map(({ values, required }) => ({
        type: "object",
        properties: Object.fromEntries(keys.map((key, i) => [key, values[i]])),
        required,
        additionalProperties: false,
      })),
    ),
    tie("schema").map((value) => ({ type: "object", additionalProperties: value })),
  ),
})).schema;

const date = fc.tuple(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }));
const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
const time = fc
  .tuple(fc.nat(23), fc.nat(59), fc.nat(59), fc.option(fc.integer({ min: 0, max: 999_999 }), { nil: undefined }), fc.option(fc.tuple(fc.constantFrom("+", "-"), fc.nat(14), fc.nat(59)), { nil: undefined }))
  .map(([h, m, s, fraction, zone]) => `${pad(h)}:${pad(m)}:${pad(s)}${fraction !== undefined ? `.${fraction}` : ""}${zone ? `${zone[0]}${pad(zone[1])}:${pad(zone[2])}` : "Z"}`);

/** Values `schema` accepts (as the grammar allows them: finite numbers, printable strings). */
function valueOf(schema: unknown): fc.Arbitrary<unknown> {
  if (schema === true || Object.keys(schema as object).length === 0) return fc.oneof(scalars, fc.dictionary(fc.constantFrom("k", "kk"), scalars, { maxKeys: 2 }));
  const s = schema as Schema;
  if ("const" in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  if (Array.isArray(s.anyOf)) return fc.oneof(...s.anyOf.map(valueOf));
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((type) => valueOf({ ...s, type })));
  switch (s.type) {
    case "integer":
      return fc.integer({ min: s.minimum === 0 ? 0 : -100_000, max: 100_000 });
    case "number":
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e20, max: 1e20 }));
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "string":
      if (s.format === "date") return date.map(([y, m, d]) => `${y}-${pad(m)}-${pad(d)}`);
      if (s.format === "time") return time;
      if (s.format === "date-time") return fc.tuple(date, time).map(([[y, m, d], t]) => `${y}-${pad(m)}-${pad(d)}T${t}`);
      if (s.format === "uuid") return fc.uuid();
      return fc.string({ minLength: (s.minLength as number | undefined) ?? 0, maxLength: (s.maxLength as number | undefined) ?? 6, unit: fc.constantFrom("a", "é", '"', "\\", "\n", "1", "}", ",") });
    case "array":
      if (Array.isArray(s.prefixItems)) return fc.tuple(...s.prefixItems.map(valueOf));
      return fc.array(valueOf(s.items), { minLength: s.minItems as number, maxLength: (s.maxItems as number | undefined) ?? (s.minItems as number) + 2 });
    default: {
      if (s.properties === undefined) return fc.dictionary(fc.constantFrom("k", "kk", ""), valueOf(s.additionalProperties), { maxKeys: 3 });
      const properties = s.properties as Record<string, unknown>;
      const required = s.required as string[];
      const entries = Object.keys(properties).map((key) =>
        required.includes(key) ? valueOf(properties[key]).map((v) => [key, v] as const) : fc.option(valueOf(properties[key]).map((v) => [key, v] as const), { nil: undefined }),
      );
      return fc.tuple(...entries).map((list) => Object.fromEntries(list.filter((entry) => entry !== undefined)));
    }
  }
}

/** JSON as the grammar writes it: no spaces, or one after each `:` and `,` outside strings. */
function spell(value: unknown, spaced: boolean): string {
  const json = JSON.stringify(value);
  if (!spaced) return json;
  let out = "";
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    out += c;
    if (inString) {
      if (c === "\\") out += json[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ":" || c === ",") out += " ";
  }
  return out;
}

const closable = schemaArbitrary.filter((schema) => {
  try {
    jsonSchemaGrammar(schema);
    assertClosable(schema);
    return true;
  } catch {
    return false;
  }
});

test("property: every prefix of a valid value, closed, parses and validates (shared prefixes included)", () => {
  fc.assert(
    fc.property(
      closable.chain((schema) => fc.tuple(fc.constant(schema), valueOf(schema), fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }))),
      ([schema, value, spaced, where]) => {
        const validate = ajv.compile(schema);
        if (!validate(value)) return; // a generated value outside the schema (e.g. a tuple's item rejected by its anyOf) proves nothing
        const text = spell(value, spaced);
        const prefix = text.slice(0, Math.floor(where * (text.length + 1)));
        const closed = prefix + closeJson(prefix, schema);
        const parsed = JSON.parse(closed) as unknown;
        assert.ok(validate(parsed), `${JSON.stringify(schema)}: ${JSON.stringify(prefix)} → ${closed}: ${ajv.errorsText(validate.errors)}`);
        assert.equal(closeJson(text, schema), "", "a whole value needs nothing");
        assert.ok(validate(JSON.parse(smallestJson(schema))), "the smallest value validates");
      },
    ),
    {
      numRuns: 3000,
      // found by a CI run: a date-time's prefix "100" was closed as the time alternative it had already left
      examples: [[[{ anyOf: [{ type: "string", format: "time" }, { type: "string", format: "date-time" }] }, "1000-01-01T00:00:00Z", false, 0.17391304347826086]]],
    },
  );
});

/** The closing of `text`, or the error's class name when there is none. */
function closingOf(close: (text: string) => string, text: string): string {
  try {
    return close(text);
  } catch (error) {
    return `threw ${(error as Error).constructor.name}`;
  }
}

test("property: closing incrementally, piece by piece, gives the closings of each prefix read from scratch", () => {
  fc.assert(
    fc.property(
      closable.chain((schema) => fc.tuple(fc.constant(schema), valueOf(schema), fc.boolean(), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 40 }))),
      ([schema, value, spaced, pieces]) => {
        const text = spell(value, spaced);
        const close = jsonCloser(schema);
        let at = 0;
        for (let k = 0; at < text.length; k++) {
          at = Math.min(text.length, at + pieces[k % pieces.length]!);
          const prefix = text.slice(0, at);
          assert.equal(closingOf(close, prefix), closingOf((t) => closeJson(t, schema), prefix), `${JSON.stringify(schema)}: ${JSON.stringify(prefix)}`);
        }
      },
    ),
    { numRuns: 1000 },
  );
});

test("one closing function follows interleaved outputs (a request's choices), and a text that extends none", () => {
  const schema = { type: "object", properties: { a: { type: "array", items: { enum: [1, 12] } }, b: { type: "string" } }, required: ["b"] };
  const outputs = ['{"a": [12, 1, 12], "b": "xy"}', '{"a": [1], "b": "z"}', '{"b": "é\\u00e9"}'];
  const close = jsonCloser(schema);
  for (let at = 1; at <= Math.max(...outputs.map((o) => o.length)); at++) {
    for (const output of outputs) {
      const prefix = output.slice(0, at);
      assert.equal(closingOf(close, prefix), closingOf((t) => closeJson(t, schema), prefix), prefix);
    }
  }
  assert.equal(close('{"a": [1'), '],"b":""}', "a shorter text than any read: read from scratch");
  assert.equal(closingOf(close, '{"c'), "threw NotAPrefixError");
  assert.equal(close('{"a": [1, 12'), '],"b":""}', "after an error, read from scratch");
});

test("alternatives where one value is a prefix of another close validly at every cut", () => {
  const schema = { enum: [1, 12, 123] };
  for (const text of ["1", "12", "123"]) {
    for (let n = 0; n <= text.length; n++) {
      const prefix = text.slice(0, n);
      assert.ok([1, 12, 123].includes(JSON.parse(prefix + closeJson(prefix, schema)) as number), prefix);
    }
  }
  const list = { type: "array", items: { enum: [1, 12] }, minItems: 2 };
  assert.equal(closeJson("[12", list), ",1]");
  assert.equal(closeJson("[1", list), ",1]");
  const strings = { anyOf: [{ const: "ab" }, { type: "string", minLength: 4 }] };
  assert.equal(closeJson('"a', strings), 'b"');
  assert.equal(closeJson('"abc', strings), 'a"');
});

test("a hostile schema cannot make the closing exponential: each subschema is read once per position", () => {
  // every level offers the same two references: read one alternative at a time, 2^15 paths at each of 800 positions
  const $defs: Record<string, unknown> = { d15: { type: "array", items: { enum: [1, 12] } } };
  for (let i = 14; i >= 0; i--) $defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  const schema = { $ref: "#/$defs/d0", $defs };
  assert.doesNotThrow(() => jsonSchemaGrammar(schema), "within the limits");
  const text = `[${Array.from({ length: 400 }, (_, i) => (i % 2 ? "1" : "12")).join(",")}`;
  assert.equal(closeJson(text, schema), "]");
  assert.throws(() => closeJson(`${text}]]`, schema), /./);
});
