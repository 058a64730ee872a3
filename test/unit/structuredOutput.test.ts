import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { closeJson, smallestJson } from "../../src/grammar/closeJson.js";
import { jsonObjectGrammar, jsonSchemaGrammar, SchemaError } from "../../src/grammar/jsonSchemaGrammar.js";
import { renameRefs } from "../../src/grammar/renameRefs.js";
import { resolveRef } from "../../src/grammar/resolveRef.js";

const ajv = new Ajv2020({ strict: false });

const person = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 2, maxLength: 12 },
    age: { type: "integer", minimum: 0 },
    role: { enum: ["admin", "user", 7] },
    tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 3 },
    address: { $ref: "#/$defs/address" },
    note: { type: ["string", "null"] },
    point: { type: "array", prefixItems: [{ type: "number" }, { type: "boolean" }], items: false },
  },
  required: ["name", "age", "tags", "point"],
  additionalProperties: false,
  $defs: { address: { type: "object", properties: { city: { type: "string" }, zip: { const: "0000" } }, required: ["city", "zip"] } },
};

test("the grammar spells a schema as GBNF rules: declared order, required entries mandatory, bounded strings and arrays", () => {
  const grammar = jsonSchemaGrammar(person);
  assert.match(grammar, /^root ::= r\d+\n/);
  assert.match(grammar, /"\\"" char\{2,12\} "\\""/, "name's length bounds");
  assert.match(grammar, /"\\"admin\\"" \| "\\"user\\"" \| "7"/, "the enum as literals");
  assert.match(grammar, /"\[" string \( "," ws string \)\{0,2\} "\]"/, "1 to 3 tags");
  assert.match(grammar, /ref0 ::= r\d+/, "the $defs entry as its own rule");
  assert.match(grammar, /integer ::= "-"\? \("0" \| \[1-9\] \[0-9\]\{0,15\}\)\n|r\d+ ::= "0" \| \[1-9\] \[0-9\]\{0,15\}/);
  assert.ok(!/[eE]/.test(grammar.split("\n").find((line) => line.startsWith("integer ::="))?.slice(10) ?? ""), "integers have no exponent");
  assert.match(jsonObjectGrammar(), /^root ::= object\n/);
});

test("schema keywords the grammar cannot enforce are refused, naming where they are", () => {
  const refused = (schema: unknown, path: string): void =>
    assert.throws(() => jsonSchemaGrammar(schema), (error: unknown) => error instanceof SchemaError && error.path === path, path);
  refused({ type: "string", pattern: "^a" }, ".pattern");
  refused({ type: "object", properties: { n: { type: "number", maximum: 3 } } }, ".properties.n.maximum");
  refused({ type: "integer", minimum: 5 }, ".minimum");
  refused({ not: { type: "null" } }, ".not");
  refused({ type: "object", properties: { a: { type: "string" } }, additionalProperties: true }, ".additionalProperties");
  refused({ type: "string", format: "email" }, ".format");
  refused({ type: "object", properties: {}, required: ["x"] }, ".required");
  refused({ $ref: "https://example.com/schema" }, ".$ref");
  refused({ type: "date" }, ".type");
  refused({ type: "array", prefixItems: [{ type: "string" }], items: { type: "number" } }, ".items");
});

test("closeJson completes every prefix of a valid document into a document that validates", () => {
  const validate = ajv.compile(person);
  const documents = [
    '{"name":"Ada", "age":36,"role":"admin","tags":["x", "y\\u00e9\\n"],"address":{"city":"Paris","zip":"0000"},"note":null,"point":[-1.5e2, true]}',
    '{"name":"Bo","age":0,"tags":["a"],"note":"ok","point":[0,false]}',
  ];
  for (const document of documents) {
    assert.ok(validate(JSON.parse(document)), ajv.errorsText(validate.errors));
    for (let n = 0; n <= document.length; n++) {
      const prefix = document.slice(0, n);
      const closed = prefix + closeJson(prefix, person);
      let value: unknown;
      assert.doesNotThrow(() => (value = JSON.parse(closed)), `${JSON.stringify(prefix)} → ${closed}`);
      assert.ok(validate(value), `${JSON.stringify(prefix)} → ${closed}: ${ajv.errorsText(validate.errors)}`);
    }
    assert.equal(closeJson(document, person), "", "a whole document needs nothing");
  }
  // any object (json_object): nested containers, partial literals, numbers and escapes
  const free = '{"a": [1, -2.5e3, "x\\u00e9", {"b": null}], "c": {"d": tru';
  for (let n = 0; n <= free.length; n++) {
    const prefix = free.slice(0, n);
    const closed = prefix + closeJson(prefix);
    assert.equal(typeof JSON.parse(closed), "object", `${JSON.stringify(prefix)} → ${closed}`);
  }
  assert.equal(closeJson('{"a": [1, {"b": "x'), '"}]}');
});

test("the smallest value of a schema: required properties only, minimal items, shortest alternatives", () => {
  assert.equal(smallestJson(person), '{"name":"aa","age":0,"tags":[""],"point":[0,true]}');
  assert.equal(smallestJson(), "{}");
  assert.equal(smallestJson({ anyOf: [{ type: "string", minLength: 3 }, { type: "null" }] }), "null");
});

test("string formats: the grammar spells them, and a half-written one is completed from its example's shape", () => {
  const schema = { type: "object", properties: { day: { type: "string", format: "date" }, at: { type: "string", format: "date-time" } }, required: ["day", "at"] };
  const grammar = jsonSchemaGrammar(schema);
  assert.match(grammar, /"\\"" \[0-9\]\{4\} "-" \[0-9\]\{2\} "-" \[0-9\]\{2\} "\\""/);
  const prefix = '{"day":"2024-0';
  const closed = prefix + closeJson(prefix, schema);
  assert.equal(closed, '{"day":"2024-01-01","at":"2000-01-01T00:00:00Z"}');
  assert.ok(new Ajv2020({ strict: false, validateFormats: false }).validate(schema, JSON.parse(closed)));
});

test("references: one resolver for the grammar and the closing, and renamed when definitions move to another root", () => {
  const root = { $defs: { point: { type: "integer" } }, definitions: { name: { type: "string" } } };
  assert.deepEqual(resolveRef(root, "#/$defs/point", ".a"), { name: "point", target: { type: "integer" }, path: "$defs.point" });
  assert.equal(resolveRef(root, "#/definitions/name", "").path, "definitions.name");
  assert.throws(() => resolveRef(root, "#/$defs/constructor", ".a"), (e: unknown) => e instanceof SchemaError && e.path === ".a.$ref" && /not defined/.test(e.message));
  assert.throws(() => resolveRef(root, "https://example.com/s", ""), (e: unknown) => e instanceof SchemaError && /only references/.test(e.message));
  const schema = { type: "array", items: [{ $ref: "#/$defs/point" }, { anyOf: [{ $ref: "#/definitions/name" }, { $ref: "other.json" }] }] };
  assert.deepEqual(renameRefs(schema, (name) => `t0_${name}`), {
    type: "array",
    items: [{ $ref: "#/$defs/t0_point" }, { anyOf: [{ $ref: "#/$defs/t0_name" }, { $ref: "other.json" }] }],
  });
  assert.equal(schema.items[0]!.$ref, "#/$defs/point", "the schema itself is left as it was");
});
