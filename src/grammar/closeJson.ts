import { SchemaError } from "./jsonSchemaGrammar.js";

/**
 * The shortest text that completes `text` — a prefix of a JSON value that `schema` accepts, as the grammar of
 * `jsonSchemaGrammar` lets a model write it — into a whole value that validates: the open string or number
 * finished, a half-written key completed to a property the grammar allows, the required properties still
 * missing added with their smallest values, arrays padded to `minItems`, every container closed. A structured
 * output that runs out of tokens is closed with it, so it still parses and validates.
 *
 * `schema` undefined means `response_format: json_object`: any object.
 */
export function closeJson(text: string, schema?: unknown): string {
  const closer = new Closer(text, schema === undefined ? ANY_OBJECT : (schema as Schema));
  const result = closer.value(closer.root, skipSpaces(text, 0), 0);
  if ("suffix" in result) return result.suffix;
  if (skipSpaces(text, result.end) < text.length) throw new NotAPrefixError(); // text after a whole value
  return "";
}

/** The smallest value `schema` accepts, as JSON text (the grammar's spelling: no spaces). */
export function smallestJson(schema?: unknown): string {
  const closer = new Closer("", schema === undefined ? ANY_OBJECT : (schema as Schema));
  return closer.smallest(closer.root, 0);
}

type Schema = boolean | { [keyword: string]: unknown };
type Result = { end: number } | { suffix: string };

const ANY_OBJECT: Schema = { type: "object", additionalProperties: true };
const MAX_DEPTH = 64;
/** Example values of the string formats the grammar supports: a prefix of one is completed from it. */
const FORMAT_EXAMPLES: Record<string, string> = {
  date: "2000-01-01",
  time: "00:00:00Z",
  "date-time": "2000-01-01T00:00:00Z",
  uuid: "00000000-0000-0000-0000-000000000000",
};

function skipSpaces(text: string, at: number): number {
  while (at < text.length && /\s/.test(text[at]!)) at++;
  return at;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The text is not a prefix of a value the schema accepts. Inside, an alternative that does not fit throws it and the
 * next one is tried; out of `closeJson` it means the text was not written under the schema's grammar.
 */
export class NotAPrefixError extends Error {}
const Mismatch = NotAPrefixError;

class Closer {
  readonly root: Schema;

  constructor(
    private readonly text: string,
    root: Schema,
  ) {
    this.root = root;
  }

  /** The alternatives of `schema` once `$ref`, `anyOf` / `oneOf`, `enum`, `const` and type lists are resolved. */
  private alternatives(schema: Schema, depth: number): Schema[] {
    if (depth > MAX_DEPTH) throw new SchemaError("", "the schema nests too deeply, or requires itself without end, to have a value");
    if (typeof schema === "boolean") return [schema];
    if (typeof schema.$ref === "string") return this.alternatives(this.resolve(schema.$ref), depth + 1);
    if ("const" in schema) return [{ const: schema.const }];
    if (Array.isArray(schema.enum)) return schema.enum.map((value) => ({ const: value }));
    const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (Array.isArray(options)) return options.flatMap((option) => this.alternatives(option, depth + 1));
    if (Array.isArray(schema.type)) return schema.type.map((type) => ({ ...schema, type }));
    return [schema];
  }

  private resolve(ref: string): Schema {
    const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
    const container = match && isObject(this.root) ? this.root[match[1]!] : undefined;
    const target = isObject(container) ? container[match![2]!] : undefined;
    if (target === undefined) throw new Error(`unresolvable reference ${ref}`);
    return target as Schema;
  }

  /** The JSON type an alternative describes (none: any value). */
  private typeOf(schema: Schema): string | undefined {
    if (typeof schema === "boolean") return undefined;
    if ("const" in schema) return "const";
    if (typeof schema.type === "string") return schema.type;
    if (schema.properties !== undefined || schema.additionalProperties !== undefined || schema.required !== undefined) return "object";
    if (schema.items !== undefined || schema.prefixItems !== undefined) return "array";
    return undefined;
  }

  /** Reads the value at `at` (after spaces) with the first alternative that fits the text. */
  value(schema: Schema, at: number, depth: number): Result {
    if (at >= this.text.length) return { suffix: this.smallest(schema, depth) };
    let last: unknown;
    for (const alternative of this.alternatives(schema, depth)) {
      try {
        return this.typed(alternative, at, depth);
      } catch (error) {
        if (!(error instanceof Mismatch)) throw error;
        last = error;
      }
    }
    throw last ?? new Mismatch();
  }

  private typed(schema: Schema, at: number, depth: number): Result {
    const c = this.text[at]!;
    const type = this.typeOf(schema);
    if (type === "const") return this.literal(JSON.stringify((schema as { const: unknown }).const), at);
    if (type === undefined) {
      // any value: its first character says which
      if (c === "{") return this.object(ANY_OBJECT as Record<string, unknown>, at, depth);
      if (c === "[") return this.array({ items: true }, at, depth);
      if (c === '"') return this.string({}, at);
      if (c === "-" || /[0-9]/.test(c)) return this.number(at);
      return this.literal(c === "t" ? "true" : c === "f" ? "false" : "null", at);
    }
    const object = schema as Record<string, unknown>;
    switch (type) {
      case "object":
        if (c !== "{") throw new Mismatch();
        return this.object(object, at, depth);
      case "array":
        if (c !== "[") throw new Mismatch();
        return this.array(object, at, depth);
      case "string":
        if (c !== '"') throw new Mismatch();
        return this.string(object, at);
      case "number":
      case "integer":
        if (c !== "-" && !/[0-9]/.test(c)) throw new Mismatch();
        return this.number(at);
      case "boolean":
        return this.literal(c === "t" ? "true" : "false", at);
      default:
        return this.literal("null", at);
    }
  }

  /** A fixed text (a literal, an enum value): whole, or its rest when the input ends inside it. */
  private literal(word: string, at: number): Result {
    const rest = this.text.slice(at, at + word.length);
    if (!word.startsWith(rest)) throw new Mismatch();
    return rest.length === word.length ? { end: at + word.length } : { suffix: word.slice(rest.length) };
  }

  private number(at: number): Result {
    let end = at;
    while (end < this.text.length && /[-+0-9.eE]/.test(this.text[end]!)) end++;
    if (end < this.text.length) return { end };
    // the input ends in the number: a sign, a point or an exponent mark still needs a digit
    return { suffix: /[-+.eE]$/.test(this.text) ? "0" : "" };
  }

  private string(schema: Record<string, unknown>, at: number): Result {
    let i = at + 1;
    let length = 0;
    while (i < this.text.length) {
      const c = this.text[i]!;
      if (c === '"') return { end: i + 1 };
      if (c === "\\") {
        const escape = this.text.slice(i + 1, i + 6);
        if (escape.length === 0) return { suffix: `n${this.padding(schema, length + 1)}"` };
        if (escape[0] === "u" && escape.length < 5) return { suffix: `${"0".repeat(5 - escape.length)}${this.padding(schema, length + 1)}"` };
        i += escape[0] === "u" ? 6 : 2;
      } else {
        i++;
      }
      length++;
    }
    const format = typeof schema.format === "string" ? FORMAT_EXAMPLES[schema.format] : undefined;
    const written = this.text.slice(at + 1);
    if (format !== undefined) return { suffix: `${format.slice(written.length)}"` };
    return { suffix: `${this.padding(schema, length)}"` };
  }

  /** Characters a string of `length` characters still needs for its `minLength`. */
  private padding(schema: Record<string, unknown>, length: number): string {
    const min = typeof schema.minLength === "number" ? schema.minLength : 0;
    return "a".repeat(Math.max(0, min - length));
  }

  private object(schema: Record<string, unknown>, at: number, depth: number): Result {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const names = Object.keys(properties);
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const additional = (schema.additionalProperties ?? false) as Schema;
    /** Index in `names` of the last property written. */
    let last = -1;
    /** `,"name":value` for every required property after `index`, then the brace. */
    const close = (index: number): string =>
      `${names
        .slice(index + 1)
        .filter((name) => required.has(name))
        .map((name) => `,${JSON.stringify(name)}:${this.smallest(properties[name] as Schema, depth + 1)}`)
        .join("")}}`;
    /** The entry a comma (or an open brace that must hold one) asks for, with the rest closed. */
    const nextEntry = (): string => {
      if (names.length === 0) return `"":${this.smallest(additional, depth + 1)}}`;
      const rest = names.slice(last + 1);
      const name = rest.find((n) => required.has(n)) ?? rest[0];
      if (name === undefined) throw new Mismatch();
      const index = names.indexOf(name);
      return `${JSON.stringify(name)}:${this.smallest(properties[name] as Schema, depth + 1)}${close(index)}`;
    };
    let i = skipSpaces(this.text, at + 1);
    let afterComma = false;
    for (;;) {
      if (i >= this.text.length) {
        if (afterComma) return { suffix: nextEntry() };
        // just after the brace: the object may end here unless a required property is still to come
        return { suffix: last === -1 && names.some((n) => required.has(n)) ? nextEntry() : close(last) };
      }
      if (this.text[i] === "}") {
        if (afterComma) throw new Mismatch();
        return { end: i + 1 };
      }
      if (this.text[i] !== '"') throw new Mismatch();
      // the key
      const key = this.string({}, i);
      let name: string;
      let valueSchema: Schema;
      if ("suffix" in key) {
        if (names.length === 0) return { suffix: `${key.suffix}:${this.smallest(additional, depth + 1)}}` };
        // the grammar writes keys as JSON strings of declared names, in order, skipping no required one
        const written = this.text.slice(i + 1);
        const candidates = names.slice(last + 1);
        const firstRequired = candidates.findIndex((n) => required.has(n));
        const allowed = firstRequired === -1 ? candidates : candidates.slice(0, firstRequired + 1);
        const chosen = allowed.find((n) => JSON.stringify(n).slice(1).startsWith(written));
        if (chosen === undefined) throw new Mismatch();
        const rest = JSON.stringify(chosen).slice(1 + written.length);
        return { suffix: `${rest}:${this.smallest(properties[chosen] as Schema, depth + 1)}${close(names.indexOf(chosen))}` };
      }
      name = JSON.parse(this.text.slice(i, key.end)) as string;
      if (names.length === 0) {
        valueSchema = additional;
      } else {
        const index = names.indexOf(name);
        if (index <= last) throw new Mismatch();
        last = index;
        valueSchema = properties[name] as Schema;
      }
      i = skipSpaces(this.text, key.end);
      const tail = (): string => (names.length === 0 ? "}" : close(last));
      if (i >= this.text.length) return { suffix: `:${this.smallest(valueSchema, depth + 1)}${tail()}` };
      if (this.text[i] !== ":") throw new Mismatch();
      const value = this.value(valueSchema, skipSpaces(this.text, i + 1), depth + 1);
      if ("suffix" in value) return { suffix: `${value.suffix}${tail()}` };
      i = skipSpaces(this.text, value.end);
      if (i >= this.text.length) return { suffix: tail() };
      if (this.text[i] === ",") {
        afterComma = true;
        i = skipSpaces(this.text, i + 1);
        continue;
      }
      if (this.text[i] !== "}") throw new Mismatch();
      return { end: i + 1 };
    }
  }

  private array(schema: Record<string, unknown>, at: number, depth: number): Result {
    const tuple = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : undefined;
    const itemSchema = (index: number): Schema => (tuple ? tuple[index]! : ((schema.items ?? true) as Schema));
    const min = tuple ? tuple.length : typeof schema.minItems === "number" ? schema.minItems : 0;
    /** The items still needed after `count`, then the bracket. */
    const close = (count: number): string => {
      const missing = Array.from({ length: Math.max(0, min - count) }, (_, k) => this.smallest(itemSchema(count + k), depth + 1));
      return `${missing.map((item) => `,${item}`).join("")}]`;
    };
    let i = skipSpaces(this.text, at + 1);
    let count = 0;
    let afterComma = false;
    for (;;) {
      if (i >= this.text.length) {
        if (afterComma) return { suffix: `${this.smallest(itemSchema(count), depth + 1)}${close(count + 1)}` };
        if (count === 0 && min > 0) return { suffix: `${this.smallest(itemSchema(0), depth + 1)}${close(1)}` };
        return { suffix: close(count) };
      }
      if (this.text[i] === "]" && !afterComma) return { end: i + 1 };
      const value = this.value(itemSchema(count), i, depth + 1);
      count++;
      if ("suffix" in value) return { suffix: `${value.suffix}${close(count)}` };
      i = skipSpaces(this.text, value.end);
      if (i >= this.text.length) return { suffix: close(count) };
      if (this.text[i] === ",") {
        afterComma = true;
        i = skipSpaces(this.text, i + 1);
        continue;
      }
      if (this.text[i] !== "]") throw new Mismatch();
      return { end: i + 1 };
    }
  }

  /** The shortest JSON text `schema` accepts. */
  smallest(schema: Schema, depth: number): string {
    const candidates = this.alternatives(schema, depth).map((alternative) => this.smallestOf(alternative, depth));
    return candidates.reduce((best, candidate) => (candidate.length < best.length ? candidate : best));
  }

  private smallestOf(schema: Schema, depth: number): string {
    const type = this.typeOf(schema);
    if (type === "const") return JSON.stringify((schema as { const: unknown }).const);
    const object = schema as Record<string, unknown>;
    switch (type) {
      case undefined:
        return "0";
      case "object": {
        const properties = isObject(object.properties) ? object.properties : {};
        const required = Array.isArray(object.required) ? (object.required as string[]) : [];
        const entries = Object.keys(properties)
          .filter((name) => required.includes(name))
          .map((name) => `${JSON.stringify(name)}:${this.smallest(properties[name] as Schema, depth + 1)}`);
        return `{${entries.join(",")}}`;
      }
      case "array": {
        const tuple = Array.isArray(object.prefixItems) ? (object.prefixItems as Schema[]) : undefined;
        const min = tuple ? tuple.length : typeof object.minItems === "number" ? object.minItems : 0;
        const items = Array.from({ length: min }, (_, k) => this.smallest(tuple ? tuple[k]! : ((object.items ?? true) as Schema), depth + 1));
        return `[${items.join(",")}]`;
      }
      case "string": {
        const format = typeof object.format === "string" ? FORMAT_EXAMPLES[object.format] : undefined;
        return `"${format ?? this.padding(object, 0)}"`;
      }
      case "number":
      case "integer":
        return "0";
      case "boolean":
        return "true";
      default:
        return "null";
    }
  }
}
