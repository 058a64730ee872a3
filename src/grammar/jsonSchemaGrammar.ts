/**
 * JSON Schema → GBNF (llama.cpp's grammar format), for structured output enforced during sampling: whatever the
 * model prefers, only text the grammar accepts can be sampled, so a finished output always parses and validates.
 *
 * Supported: `type` (one or a list), `enum`, `const`, `anyOf` / `oneOf` (as alternatives: exclusivity is not
 * enforced), `$ref` to `#/$defs/…` or `#/definitions/…` (recursion included), objects (`properties` in their order,
 * `required`, `additionalProperties` false / absent, or true / a schema when there are no `properties`), arrays
 * (`items`, `prefixItems` as a fixed tuple, `minItems`, `maxItems`), strings (`minLength`, `maxLength`, `format`
 * date / time / date-time / uuid), integers (`minimum: 0`), and the annotations (`title`, `description`, ...). Any
 * other keyword is refused with a `SchemaError` naming it: a schema the grammar would not enforce is never
 * silently accepted. Whitespace is one optional space after `:` and `,`; numbers have at most 16 digits before and
 * after the point and a two-digit exponent (always finite); integers have no fraction and no exponent. A schema past
 * `SCHEMA_LIMITS` (nesting, size, repetition counts) is refused with a `SchemaError` as it is read, before any
 * grammar exists.
 */

import { SCHEMA_LIMITS } from "./schemaLimits.js";
import { SchemaError } from "./SchemaError.js";
import { type JsonType, type Schema, type SchemaNode, schemaNode, TYPES } from "./schemaNode.js";

export { SchemaError } from "./SchemaError.js";

const ANNOTATIONS = new Set(["title", "description", "$schema", "$id", "$comment", "default", "examples", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "strict"]);
/** The keywords enforced (`minimum` only as 0 on an integer); as in JSON Schema, one that does not apply to the type is ignored. */
const KEYWORDS = new Set([
  ...["type", "enum", "const", "anyOf", "oneOf", "$ref"],
  ...["properties", "required", "additionalProperties"],
  ...["items", "prefixItems", "minItems", "maxItems"],
  ...["minLength", "maxLength", "format"],
]);

const PRIMITIVES: Record<string, string> = {
  ws: '" "?',
  char: '[^"\\\\\\x00-\\x1f] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})',
  string: '"\\"" char* "\\""',
  integer: '"-"? ("0" | [1-9] [0-9]{0,15})',
  number: '"-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?',
  boolean: '"true" | "false"',
  null: '"null"',
  value: "object | array | string | number | boolean | null",
  object: '"{" ( string ":" ws value ( "," ws string ":" ws value )* )? "}"',
  array: '"[" ( value ( "," ws value )* )? "]"',
};
const FORMATS: Record<string, string> = {
  date: '[0-9]{4} "-" [0-9]{2} "-" [0-9]{2}',
  time: '[0-9]{2} ":" [0-9]{2} ":" [0-9]{2} ("." [0-9]{1,6})? ("Z" | [+-] [0-9]{2} ":" [0-9]{2})',
  "date-time": '[0-9]{4} "-" [0-9]{2} "-" [0-9]{2} "T" [0-9]{2} ":" [0-9]{2} ":" [0-9]{2} ("." [0-9]{1,6})? ("Z" | [+-] [0-9]{2} ":" [0-9]{2})',
  uuid: "[0-9a-f]{8} \"-\" [0-9a-f]{4} \"-\" [0-9a-f]{4} \"-\" [0-9a-f]{4} \"-\" [0-9a-f]{12}",
};

/** GBNF for any JSON object (`response_format: {type: "json_object"}`). */
export function jsonObjectGrammar(): string {
  const builder = new GrammarBuilder({});
  return builder.build(builder.anyObject());
}

/**
 * GBNF whose sentences are exactly the JSON texts (in the whitespace above) that validate against `schema`; with
 * `root`, the sentences are what `root` makes of such a value (a GBNF expression around the value's rule name).
 */
export function jsonSchemaGrammar(schema: unknown, root: (value: string) => string = (value) => value): string {
  if (typeof schema !== "boolean" && !isObject(schema)) throw new SchemaError("", "a schema must be an object or a boolean");
  const builder = new GrammarBuilder(schema);
  return builder.build(root(builder.rule(schema, "", 0)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON value as a GBNF literal. */
function literal(value: unknown): string {
  return JSON.stringify(JSON.stringify(value));
}

class GrammarBuilder {
  /** Rule name → body, in definition order. */
  private readonly rules = new Map<string, string>();
  /** Rule body → its name, so identical sub-schemas share a rule. */
  private readonly byBody = new Map<string, string>();
  /** `$ref` target → rule name (named before its body is built, so recursion works). */
  private readonly refs = new Map<string, string>();
  private readonly usedPrimitives = new Set<string>();
  /** What the schema has used so far of each of `SCHEMA_LIMITS`. */
  private subschemas = 0;
  private properties = 0;
  private enumValues = 0;
  private stringChars = 0;
  private repetitions = 0;
  /** Where the last repetition came from, to name it if it passes the limit. */
  private repetitionPath = "";

  constructor(private readonly root: Schema) {}

  build(rootRule: string): string {
    const lines = [`root ::= ${rootRule}`];
    for (const name of this.primitiveClosure()) lines.push(`${name} ::= ${PRIMITIVES[name]}`);
    for (const [name, body] of this.rules) lines.push(`${name} ::= ${body}`);
    return `${lines.join("\n")}\n`;
  }

  anyObject(): string {
    return this.primitive("object");
  }

  /** The name of a rule (or a primitive's) matching `schema`, `depth` levels (`$ref`s followed included) below the root. */
  rule(schema: Schema, path: string, depth: number): string {
    if (depth > SCHEMA_LIMITS.depth) throw new SchemaError(path, `the schema nests deeper than ${SCHEMA_LIMITS.depth} levels (references followed included)`);
    if (++this.subschemas > SCHEMA_LIMITS.subschemas) throw new SchemaError(path, `the schema has more than ${SCHEMA_LIMITS.subschemas} subschemas`);
    if (schema === true) return this.primitive("value");
    if (isObject(schema)) this.checkKeywords(schema, path);
    const node = schemaNode(schema, this.root, path);
    switch (node.kind) {
      case "ref":
        return this.ref(node, path, depth);
      case "values":
        return this.define(this.values(node.values, node.path).join(" | "));
      case "alternatives":
        return this.define(node.options.map((option, i) => this.rule(option, node.paths[i]!, depth + 1)).join(" | "));
      default:
        return this.define((node.types ?? TYPES).map((type) => this.typed(type, node.schema, path, depth)).join(" | "));
    }
  }

  /** `enum` values or a `const` as GBNF literals, counted against the limits on values and their characters. */
  private values(values: readonly unknown[], path: string): string[] {
    this.enumValues += values.length;
    if (this.enumValues > SCHEMA_LIMITS.enumValues) throw new SchemaError(path, `the schema has more than ${SCHEMA_LIMITS.enumValues} enum and const values`);
    return values.map((value) => {
      const text = literal(value);
      this.chars(text.length, path);
      return text;
    });
  }

  private chars(count: number, path: string): void {
    this.stringChars += count;
    if (this.stringChars > SCHEMA_LIMITS.stringChars) {
      throw new SchemaError(path, `the schema's property names, definition names, enum values and consts exceed ${SCHEMA_LIMITS.stringChars} characters`);
    }
  }

  /** `x{min,max}` in GBNF; `define` counts it against the limit on the repetitions llama.cpp expands, once per rule. */
  private repeat(item: string, min: number, max: number | undefined, path: string): string {
    this.repetitionPath = path;
    return `${item}{${min},${max ?? ""}}`;
  }

  private typed(type: JsonType, schema: Record<string, unknown>, path: string, depth: number): string {
    switch (type) {
      case "object":
        return this.object(schema, path, depth);
      case "array":
        return this.array(schema, path, depth);
      case "string":
        return this.string(schema, path);
      case "integer":
        return schema.minimum === undefined ? this.primitive("integer") : this.define('"0" | [1-9] [0-9]{0,15}');
      default:
        return this.primitive(type);
    }
  }

  private object(schema: Record<string, unknown>, path: string, depth: number): string {
    const properties = schema.properties ?? {};
    if (!isObject(properties)) throw new SchemaError(`${path}.properties`, "'properties' must be an object");
    const names = Object.keys(properties);
    this.properties += names.length;
    if (this.properties > SCHEMA_LIMITS.properties) throw new SchemaError(`${path}.properties`, `the schema has more than ${SCHEMA_LIMITS.properties} properties`);
    for (const name of names) this.chars(name.length, `${path}.properties`);
    const required = schema.required ?? [];
    if (!Array.isArray(required) || required.some((name) => typeof name !== "string")) {
      throw new SchemaError(`${path}.required`, "'required' must be a list of property names");
    }
    const unknown = (required as string[]).find((name) => !names.includes(name));
    if (unknown !== undefined) throw new SchemaError(`${path}.required`, `'required' names '${unknown}', which is not in 'properties'`);
    const additional = schema.additionalProperties ?? false;
    if (names.length === 0) {
      if (additional === false) return this.define('"{" "}"');
      const value = this.rule(additional as Schema, `${path}.additionalProperties`, depth + 1);
      const entry = this.define(`${this.primitive("string")} ":" ${this.primitive("ws")} ${value}`);
      return this.define(`"{" ( ${entry} ( "," ${this.primitive("ws")} ${entry} )* )? "}"`);
    }
    if (additional !== false) {
      throw new SchemaError(`${path}.additionalProperties`, "'additionalProperties' other than false is supported only for objects without 'properties'");
    }
    const entries = names.map((name) => {
      const value = this.rule(properties[name] as Schema, `${path}.properties.${name}`, depth + 1);
      return { entry: this.define(`${literal(name)} ":" ${this.primitive("ws")} ${value}`), required: (required as string[]).includes(name) };
    });
    // built from the last entry back: first = entries i.. with the first one emitted bare (empty when all are
    // optional and none is emitted); rest = entries i.., each emitted after a comma
    const comma = `"," ${this.primitive("ws")}`;
    let rest = "";
    let first = "";
    for (let i = entries.length - 1; i >= 0; i--) {
      const { entry, required } = entries[i]!;
      const tail = rest === "" ? "" : ` ${rest}`;
      const head = `${entry}${tail}`;
      first = this.define(required ? head : first === "" ? `( ${head} )?` : `${head} | ${first}`);
      if (i > 0) rest = this.define(required ? `${comma} ${entry}${tail}` : `( ${comma} ${entry} )?${tail}`);
    }
    return this.define(`"{" ${first} "}"`);
  }

  private array(schema: Record<string, unknown>, path: string, depth: number): string {
    const min = this.count(schema.minItems, `${path}.minItems`) ?? 0;
    const max = this.count(schema.maxItems, `${path}.maxItems`);
    if (max !== undefined && max < min) throw new SchemaError(`${path}.maxItems`, "'maxItems' is below 'minItems'");
    const comma = `"," ${this.primitive("ws")}`;
    if (schema.prefixItems !== undefined) {
      if (!Array.isArray(schema.prefixItems)) throw new SchemaError(`${path}.prefixItems`, "'prefixItems' must be an array");
      if (schema.items !== undefined && schema.items !== false) {
        throw new SchemaError(`${path}.items`, "'items' after 'prefixItems' is supported only as false (a fixed tuple)");
      }
      const items = schema.prefixItems.map((item, i) => this.rule(item as Schema, `${path}.prefixItems[${i}]`, depth + 1));
      return this.define(items.length === 0 ? '"[" "]"' : `"[" ${items.join(` ${comma} `)} "]"`);
    }
    if (schema.items === false) return this.define('"[" "]"');
    const item = this.rule((schema.items ?? true) as Schema, `${path}.items`, depth + 1);
    if (max === 0) return this.define('"[" "]"');
    const more =
      max === undefined
        ? min > 1
          ? this.repeat(`( ${comma} ${item} )`, min - 1, undefined, `${path}.minItems`)
          : `( ${comma} ${item} )*`
        : this.repeat(`( ${comma} ${item} )`, Math.max(0, min - 1), max - 1, `${path}.maxItems`);
    const list = `${item} ${more}`;
    return this.define(min === 0 ? `"[" ( ${list} )? "]"` : `"[" ${list} "]"`);
  }

  private string(schema: Record<string, unknown>, path: string): string {
    if (schema.format !== undefined) {
      // own names only: `format: "toString"` must not find Object.prototype's
      const format = typeof schema.format === "string" && Object.hasOwn(FORMATS, schema.format) ? FORMATS[schema.format] : undefined;
      if (format === undefined) throw new SchemaError(`${path}.format`, `the string format ${JSON.stringify(schema.format)} is not supported`);
      return this.define(`"\\"" ${format} "\\""`);
    }
    const min = this.count(schema.minLength, `${path}.minLength`);
    const max = this.count(schema.maxLength, `${path}.maxLength`);
    if (min === undefined && max === undefined) return this.primitive("string");
    if (max !== undefined && max < (min ?? 0)) throw new SchemaError(`${path}.maxLength`, "'maxLength' is below 'minLength'");
    return this.define(`"\\"" ${this.repeat(this.primitive("char"), min ?? 0, max, `${path}.${max !== undefined ? "maxLength" : "minLength"}`)} "\\""`);
  }

  private count(value: unknown, path: string): number | undefined {
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || (value as number) < 0) throw new SchemaError(path, "must be a non-negative integer");
    if ((value as number) > SCHEMA_LIMITS.repetition) throw new SchemaError(path, `must be at most ${SCHEMA_LIMITS.repetition} (llama.cpp's grammar repetition limit)`);
    return value as number;
  }

  private ref(node: Extract<SchemaNode, { kind: "ref" }>, path: string, depth: number): string {
    const name = this.refs.get(node.ref);
    if (name !== undefined) return name;
    this.chars(node.name.length, `${path}.$ref`);
    const ruleName = `ref${this.refs.size}`;
    this.refs.set(node.ref, ruleName);
    this.rules.set(ruleName, ""); // reserved now: the definition may refer to itself
    this.rules.set(ruleName, this.rule(node.target, node.path, depth + 1));
    return ruleName;
  }

  private checkKeywords(schema: Record<string, unknown>, path: string): void {
    for (const keyword of Object.keys(schema)) {
      if (ANNOTATIONS.has(keyword) || KEYWORDS.has(keyword)) continue;
      if (keyword === "minimum" && schema.type === "integer" && schema.minimum === 0) continue;
      throw new SchemaError(`${path}.${keyword}`, `the JSON Schema keyword '${keyword}'${keyword === "minimum" ? " (other than 0 on an integer)" : ""} is not supported`);
    }
  }

  /** A rule for `body`, shared with any identical one. */
  private define(body: string): string {
    if (/^[a-z][a-z0-9-]*$/.test(body)) return body; // already a rule name
    const existing = this.byBody.get(body);
    if (existing !== undefined) return existing;
    for (const [, min, max] of body.matchAll(/\{(\d+),(\d*)\}/g)) this.repetitions += Number(max || min);
    if (this.repetitions > SCHEMA_LIMITS.repetitionsTotal) {
      throw new SchemaError(this.repetitionPath, `the schema's minItems, maxItems, minLength and maxLength add up to more than ${SCHEMA_LIMITS.repetitionsTotal}`);
    }
    const name = `r${this.byBody.size}`;
    this.byBody.set(body, name);
    this.rules.set(name, body);
    return name;
  }

  private primitive(name: string): string {
    this.usedPrimitives.add(name);
    return name;
  }

  /** The primitives used, with the ones they use. */
  private primitiveClosure(): string[] {
    const dependencies: Record<string, readonly string[]> = {
      string: ["char"],
      value: ["object", "array", "string", "number", "boolean", "null"],
      object: ["string", "ws", "value"],
      array: ["value", "ws"],
    };
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const dependency of dependencies[name] ?? []) visit(dependency);
    };
    for (const name of this.usedPrimitives) visit(name);
    return Object.keys(PRIMITIVES).filter((name) => seen.has(name));
  }
}
