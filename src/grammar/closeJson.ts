import { SchemaError } from "./jsonSchemaGrammar.js";
import { SCHEMA_LIMITS } from "./schemaLimits.js";

/**
 * The shortest text that completes `text` — a prefix of a JSON value that `schema` accepts, as the grammar of
 * `jsonSchemaGrammar` lets a model write it — into a whole value that validates: the open string or number
 * finished, a half-written key completed to a property the grammar allows, the required properties still
 * missing added with their smallest values, arrays padded to `minItems`, every container closed. A structured
 * output that runs out of tokens is closed with it, so it still parses and validates.
 *
 * The text is read the way the grammar reads it, every alternative at once: where alternatives share a prefix
 * (`{"enum": [1, 12]}` and the text `12`), each reading is followed, and a reading that dead-ends is dropped.
 * The readings of a subschema at a text position are computed once (memoized), so a hostile schema cannot make
 * this exponential: the work is bounded by the schema's size times the text's length.
 *
 * `schema` undefined means `response_format: json_object`: any object.
 */
export function closeJson(text: string, schema?: unknown): string {
  const closer = new Closer(text, schema === undefined ? ANY_OBJECT : (schema as Schema));
  const outcome = closer.value(closer.root, skipSpaces(text, 0), 0);
  const candidates = [...(outcome.suffix !== undefined ? [outcome.suffix] : []), ...[...outcome.ends].filter((end) => skipSpaces(text, end) >= text.length).map(() => "")];
  if (candidates.length === 0) throw new NotAPrefixError();
  return shortest(candidates);
}

/** The smallest value `schema` accepts, as JSON text (the grammar's spelling: no spaces). */
export function smallestJson(schema?: unknown): string {
  const closer = new Closer("", schema === undefined ? ANY_OBJECT : (schema as Schema));
  return closer.smallest(closer.root, 0);
}

/**
 * Refuses (`SchemaError`, located) a schema some of whose subschemas have no value of finite size, or a smallest
 * value longer than `SCHEMA_LIMITS.smallestValueChars`: the grammar would let a model start such a value, and its
 * closing could then not end it, or would be unbounded. Run once per request, before generating.
 */
export function assertClosable(schema: unknown): void {
  const closer = new Closer("", schema as Schema);
  const seen = new Set<object>();
  const pending: Array<{ node: unknown; path: string }> = [{ node: schema, path: "" }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, path } = next;
    if (!isObject(node) || seen.has(node)) continue;
    seen.add(node);
    try {
      closer.smallest(node, 0);
    } catch (error) {
      if (error instanceof SchemaError) throw new SchemaError(`${path}${error.path}`, error.message);
      throw error;
    }
    const children: Array<[string, unknown]> = [];
    for (const key of ["properties", "$defs", "definitions"]) {
      // definitions are located as the grammar locates them: `$defs.NAME` from the root
      const at = (name: string): string => (key === "properties" || path !== "" ? `.${key}.${name}` : `${key}.${name}`);
      if (isObject(node[key])) for (const [name, child] of Object.entries(node[key])) children.push([at(name), child]);
    }
    for (const key of ["anyOf", "oneOf", "prefixItems"]) {
      if (Array.isArray(node[key])) node[key].forEach((child: unknown, i: number) => children.push([`.${key}[${i}]`, child]));
    }
    for (const key of ["items", "additionalProperties"]) children.push([`.${key}`, node[key]]);
    for (const [suffix, child] of children) pending.push({ node: child, path: `${path}${suffix}` });
  }
}

type Schema = boolean | { [keyword: string]: unknown };
/**
 * The readings of a value starting at a position: the positions where it can end, and the shortest text that
 * completes it when the text ends inside it (undefined: no reading reaches the end of the text).
 */
interface Outcome {
  ends: Set<number>;
  suffix: string | undefined;
}

const ANY_OBJECT: Schema = { type: "object", additionalProperties: true };
/**
 * Nesting of the text read: a recursive schema lets a model nest without end, and every level is a few stack frames
 * (far below the stack's size at this depth).
 */
const MAX_TEXT_DEPTH = 1_000;
/** Example values of the string formats the grammar supports: a prefix of one is completed in its shape. */
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

function shortest(texts: readonly string[]): string {
  return texts.reduce((best, text) => (text.length < best.length ? text : best));
}

function formatOf(schema: Record<string, unknown>): string | undefined {
  return typeof schema.format === "string" && Object.hasOwn(FORMAT_EXAMPLES, schema.format) ? schema.format : undefined;
}

/**
 * The rest of a `format` string (without the quote) after `written`, a prefix the grammar allowed. Dates and uuids
 * have a fixed shape: the example's rest fits. A time may go on with a fraction and a zone: its tail is read.
 */
function completeFormat(format: string, written: string): string {
  const timeStart = format === "time" ? 0 : format === "date-time" ? 11 : -1;
  if (timeStart === -1 || written.length <= timeStart + 8) return FORMAT_EXAMPLES[format]!.slice(written.length);
  const tail = written.slice(timeStart + 8); // after HH:MM:SS: ("." digits)? ("Z" | ±HH:MM)
  const zone = /^(?:\.[0-9]*)?(.*)$/.exec(tail)![1]!;
  const digits = tail.startsWith(".") && tail.length - zone.length === 1 ? "0" : "";
  if (zone === "") return `${digits}Z`;
  if (zone === "Z") return "";
  return "+00:00".slice(zone.length);
}

/**
 * The text is not a prefix of a value the schema accepts: out of `closeJson` it means the text was not written
 * under the schema's grammar.
 */
export class NotAPrefixError extends Error {}

class Closer {
  readonly root: Schema;
  /** Readings by subschema and position. */
  private readonly readings = new WeakMap<object, Map<number, Outcome>>();
  private readonly flattened = new WeakMap<object, Schema[]>();
  /** Smallest values by subschema and depth (a cut-off below a depth can differ from one below another). */
  private readonly smallestByDepth = new WeakMap<object, Map<number, string | SchemaError>>();

  constructor(
    private readonly text: string,
    root: Schema,
  ) {
    this.root = root;
  }

  /**
   * The alternatives of `schema` once `$ref`, `anyOf` / `oneOf`, `enum`, `const` and type lists are resolved: each
   * subschema's list is built once and holds each alternative once, so shared references cannot multiply them.
   */
  private alternatives(schema: Schema, depth = 0): Schema[] {
    if (typeof schema === "boolean") return schema ? [true] : [];
    const known = this.flattened.get(schema);
    if (known) return known;
    if (depth > SCHEMA_LIMITS.depth) throw new SchemaError("", "the schema's references or alternatives nest too deeply");
    let list: Schema[];
    if (typeof schema.$ref === "string") list = this.alternatives(this.resolve(schema.$ref), depth + 1);
    else if ("const" in schema) list = [{ const: schema.const }];
    else if (Array.isArray(schema.enum)) list = schema.enum.map((value) => ({ const: value }));
    else if (Array.isArray(schema.anyOf ?? schema.oneOf)) {
      list = [...new Set(((schema.anyOf ?? schema.oneOf) as Schema[]).flatMap((option) => this.alternatives(option, depth + 1)))];
    } else if (Array.isArray(schema.type)) list = schema.type.map((type) => ({ ...schema, type }));
    else list = [schema];
    this.flattened.set(schema, list);
    return list;
  }

  private resolve(ref: string): Schema {
    const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
    const container = match && isObject(this.root) && Object.hasOwn(this.root, match[1]!) ? this.root[match[1]!] : undefined;
    const target = isObject(container) && Object.hasOwn(container, match![2]!) ? container[match![2]!] : undefined;
    if (target === undefined) throw new SchemaError(".$ref", `unresolvable reference ${ref}`);
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

  /** Every reading of a value of `schema` at `at` (after spaces). */
  value(schema: Schema, at: number, depth: number): Outcome {
    if (at >= this.text.length) return { ends: new Set(), suffix: this.smallest(schema, 0) };
    if (depth > MAX_TEXT_DEPTH) throw new SchemaError("", `the output nests deeper than ${MAX_TEXT_DEPTH} levels`);
    const key: object = typeof schema === "boolean" ? (schema ? ANY_VALUE : NO_VALUE) : schema;
    let byPosition = this.readings.get(key);
    if (!byPosition) this.readings.set(key, (byPosition = new Map()));
    const known = byPosition.get(at);
    if (known) return known;
    const outcome = union(...this.alternatives(schema).map((alternative) => this.typed(alternative, at, depth)));
    byPosition.set(at, outcome);
    return outcome;
  }

  private typed(schema: Schema, at: number, depth: number): Outcome {
    const c = this.text[at]!;
    const type = this.typeOf(schema);
    if (type === "const") return this.literal(JSON.stringify((schema as { const: unknown }).const), at);
    if (type === undefined) {
      // any value: its first character says which
      if (c === "{") return this.object(ANY_OBJECT as Record<string, unknown>, at, depth);
      if (c === "[") return this.array({ items: true }, at, depth);
      if (c === '"') return this.string({}, at);
      if (c === "-" || /[0-9]/.test(c)) return this.number(at, false);
      return union(this.literal("true", at), this.literal("false", at), this.literal("null", at));
    }
    const object = schema as Record<string, unknown>;
    switch (type) {
      case "object":
        return c === "{" ? this.object(object, at, depth) : NOTHING;
      case "array":
        return c === "[" ? this.array(object, at, depth) : NOTHING;
      case "string":
        return c === '"' ? this.string(object, at) : NOTHING;
      case "number":
      case "integer":
        return c === "-" || /[0-9]/.test(c) ? this.number(at, type === "integer") : NOTHING;
      case "boolean":
        return union(this.literal("true", at), this.literal("false", at));
      default:
        return this.literal("null", at);
    }
  }

  /** A fixed text (a literal, an enum value): whole, or its rest when the input ends inside it. */
  private literal(word: string, at: number): Outcome {
    const rest = this.text.slice(at, at + word.length);
    if (!word.startsWith(rest)) return NOTHING;
    return rest.length === word.length ? { ends: new Set([at + word.length]), suffix: undefined } : { ends: new Set(), suffix: word.slice(rest.length) };
  }

  /** A number ends where its characters do (JSON puts no number right after another). */
  private number(at: number, integer: boolean): Outcome {
    const chars = integer ? /[-0-9]/ : /[-+0-9.eE]/;
    let end = at;
    while (end < this.text.length && chars.test(this.text[end]!)) end++;
    if (end < this.text.length) return { ends: new Set([end]), suffix: undefined };
    // the input ends in the number: a sign, a point or an exponent mark still needs a digit
    return { ends: new Set(), suffix: /[-+.eE]$/.test(this.text) ? "0" : "" };
  }

  private string(schema: Record<string, unknown>, at: number): Outcome {
    let i = at + 1;
    let length = 0;
    while (i < this.text.length) {
      const c = this.text[i]!;
      if (c === '"') return { ends: new Set([i + 1]), suffix: undefined };
      if (c === "\\") {
        const escape = this.text.slice(i + 1, i + 6);
        if (escape.length === 0) return { ends: new Set(), suffix: `n${this.padding(schema, length + 1)}"` };
        if (escape[0] === "u" && escape.length < 5) return { ends: new Set(), suffix: `${"0".repeat(5 - escape.length)}${this.padding(schema, length + 1)}"` };
        i += escape[0] === "u" ? 6 : 2;
      } else {
        i++;
      }
      length++;
    }
    const format = formatOf(schema);
    if (format !== undefined) return { ends: new Set(), suffix: `${completeFormat(format, this.text.slice(at + 1))}"` };
    return { ends: new Set(), suffix: `${this.padding(schema, length)}"` };
  }

  /** Characters a string of `length` characters still needs for its `minLength`. */
  private padding(schema: Record<string, unknown>, length: number): string {
    const min = typeof schema.minLength === "number" ? schema.minLength : 0;
    return "a".repeat(Math.max(0, min - length));
  }

  /**
   * An object as the grammar writes it: declared properties in their order, none skipped that is required (or, with
   * no `properties`, any keys with `additionalProperties` values). Its readings advance together, position by position.
   */
  private object(schema: Record<string, unknown>, at: number, depth: number): Outcome {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const names = Object.keys(properties);
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const additional = (schema.additionalProperties ?? false) as Schema;
    const free = names.length === 0;
    /** Whether properties `from`..`to` - 1 may all be left out. */
    const skippable = (from: number, to: number): boolean => names.slice(from, to).every((name) => !required.has(name));
    /** `,"name":value` for every required property after `index`, then the brace. */
    const close = (index: number): string =>
      `${names
        .slice(index + 1)
        .filter((name) => required.has(name))
        .map((name) => `,${JSON.stringify(name)}:${this.smallest(properties[name] as Schema, 0)}`)
        .join("")}}`;
    /** The entry a comma (or an open brace that must hold one) asks for, with the rest closed. */
    const nextEntry = (last: number): string | undefined => {
      if (free) return additional === false ? undefined : `"":${this.smallest(additional, 0)}}`;
      const rest = names.slice(last + 1);
      const name = rest.find((n) => required.has(n)) ?? rest[0];
      if (name === undefined) return undefined;
      return `${JSON.stringify(name)}:${this.smallest(properties[name] as Schema, 0)}${close(names.indexOf(name))}`;
    };
    const outcome: Outcome = { ends: new Set(), suffix: undefined };
    const offer = (suffix: string | undefined): void => {
      if (suffix !== undefined && (outcome.suffix === undefined || suffix.length < outcome.suffix.length)) outcome.suffix = suffix;
    };
    // reading states: position, index of the last property written, whether a comma was just read
    const states = new StateQueue<{ i: number; last: number; afterComma: boolean }>((s) => `${s.i} ${s.last} ${s.afterComma}`);
    states.add({ i: skipSpaces(this.text, at + 1), last: -1, afterComma: false });
    for (let state = states.next(); state !== undefined; state = states.next()) {
      const { i, last, afterComma } = state;
      const tail = (): string => (free ? "}" : close(last));
      if (i >= this.text.length) {
        // just after the brace: the object may end here unless a required property is still to come
        offer(afterComma || (last === -1 && !skippable(0, names.length)) ? nextEntry(last) : tail());
        continue;
      }
      if (this.text[i] === "}") {
        if (!afterComma && (free || skippable(last + 1, names.length))) outcome.ends.add(i + 1);
        continue;
      }
      if (this.text[i] !== '"' || (last !== -1 && !afterComma)) continue;
      const key = this.string({}, i);
      if (key.suffix !== undefined) {
        if (free) {
          if (additional !== false) offer(`${key.suffix}:${this.smallest(additional, 0)}}`);
          continue;
        }
        // the grammar writes keys as JSON strings of declared names, in order, skipping no required one
        const written = this.text.slice(i + 1);
        for (let index = last + 1; index < names.length; index++) {
          const spelled = JSON.stringify(names[index]).slice(1);
          if (spelled.startsWith(written)) offer(`${spelled.slice(written.length)}:${this.smallest(properties[names[index]!] as Schema, 0)}${close(index)}`);
          if (required.has(names[index]!)) break;
        }
        continue;
      }
      const keyEnd = [...key.ends][0]!;
      const name = JSON.parse(this.text.slice(i, keyEnd)) as string;
      let index = -1;
      let valueSchema: Schema;
      if (free) {
        if (additional === false) continue;
        valueSchema = additional;
      } else {
        index = names.indexOf(name);
        if (index <= last || !skippable(last + 1, index)) continue;
        valueSchema = properties[name] as Schema;
      }
      const closeAfter = (): string => (free ? "}" : close(index));
      const colon = skipSpaces(this.text, keyEnd);
      if (colon >= this.text.length) {
        offer(`:${this.smallest(valueSchema, 0)}${closeAfter()}`);
        continue;
      }
      if (this.text[colon] !== ":") continue;
      const value = this.value(valueSchema, skipSpaces(this.text, colon + 1), depth + 1);
      if (value.suffix !== undefined) offer(`${value.suffix}${closeAfter()}`);
      for (const end of value.ends) {
        const j = skipSpaces(this.text, end);
        if (j >= this.text.length) offer(closeAfter());
        else if (this.text[j] === ",") states.add({ i: skipSpaces(this.text, j + 1), last: index, afterComma: true });
        else if (this.text[j] === "}" && (free || skippable(index + 1, names.length))) outcome.ends.add(j + 1);
      }
    }
    return outcome;
  }

  /** An array: `prefixItems` as a fixed tuple, or `items` between `minItems` and `maxItems`. */
  private array(schema: Record<string, unknown>, at: number, depth: number): Outcome {
    const tuple = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : undefined;
    const itemSchema = (index: number): Schema => (tuple ? (tuple[index] ?? false) : ((schema.items ?? true) as Schema));
    const min = tuple ? tuple.length : typeof schema.minItems === "number" ? schema.minItems : 0;
    const max = tuple ? tuple.length : typeof schema.maxItems === "number" ? schema.maxItems : Infinity;
    /** The items still needed after `count`, then the bracket. */
    const close = (count: number): string => {
      const missing = Array.from({ length: Math.max(0, min - count) }, (_, k) => this.smallest(itemSchema(count + k), 0));
      return `${missing.map((item) => `,${item}`).join("")}]`;
    };
    const outcome: Outcome = { ends: new Set(), suffix: undefined };
    const offer = (suffix: string | undefined): void => {
      if (suffix !== undefined && (outcome.suffix === undefined || suffix.length < outcome.suffix.length)) outcome.suffix = suffix;
    };
    const states = new StateQueue<{ i: number; count: number; afterComma: boolean }>((s) => `${s.i} ${s.count} ${s.afterComma}`);
    states.add({ i: skipSpaces(this.text, at + 1), count: 0, afterComma: false });
    for (let state = states.next(); state !== undefined; state = states.next()) {
      const { i, count, afterComma } = state;
      if (i >= this.text.length) {
        if (afterComma || (count === 0 && min > 0)) {
          if (count < max) offer(`${this.smallest(itemSchema(count), 0)}${close(count + 1)}`);
        } else offer(close(count));
        continue;
      }
      if (this.text[i] === "]") {
        if (!afterComma && count >= min) outcome.ends.add(i + 1);
        continue;
      }
      if ((count > 0 && !afterComma) || count >= max) continue;
      const value = this.value(itemSchema(count), i, depth + 1);
      if (value.suffix !== undefined) offer(`${value.suffix}${close(count + 1)}`);
      for (const end of value.ends) {
        const j = skipSpaces(this.text, end);
        if (j >= this.text.length) offer(close(count + 1));
        else if (this.text[j] === ",") states.add({ i: skipSpaces(this.text, j + 1), count: count + 1, afterComma: true });
        else if (this.text[j] === "]" && count + 1 >= min) outcome.ends.add(j + 1);
      }
    }
    return outcome;
  }

  /** The shortest JSON text `schema` accepts (`SchemaError` when it has none of finite, bounded size). */
  smallest(schema: Schema, depth: number): string {
    if (typeof schema === "boolean") {
      if (schema) return "0";
      throw new SchemaError("", "the schema 'false' accepts no value");
    }
    let byDepth = this.smallestByDepth.get(schema);
    if (!byDepth) this.smallestByDepth.set(schema, (byDepth = new Map()));
    let result = byDepth.get(depth);
    if (result === undefined) {
      result = this.computeSmallest(schema, depth);
      byDepth.set(depth, result);
    }
    if (result instanceof SchemaError) throw result;
    return result;
  }

  private computeSmallest(schema: Schema, depth: number): string | SchemaError {
    if (depth > SCHEMA_LIMITS.depth) return new SchemaError("", "the schema nests too deeply, or requires itself without end, to have a value");
    let best: string | undefined;
    let failure: SchemaError | undefined;
    try {
      for (const alternative of this.alternatives(schema)) {
        try {
          const candidate = this.smallestOf(alternative, depth);
          if (best === undefined || candidate.length < best.length) best = candidate;
        } catch (error) {
          if (!(error instanceof SchemaError)) throw error;
          failure = error;
        }
      }
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
      return error;
    }
    return best ?? failure ?? new SchemaError("", "the schema accepts no value");
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
        let length = 2;
        const entries = Object.keys(properties)
          .filter((name) => required.includes(name))
          .map((name) => {
            const entry = `${JSON.stringify(name)}:${this.smallest(properties[name] as Schema, depth + 1)}`;
            length += entry.length + 1;
            this.bounded(length);
            return entry;
          });
        return `{${entries.join(",")}}`;
      }
      case "array": {
        const tuple = Array.isArray(object.prefixItems) ? (object.prefixItems as Schema[]) : undefined;
        const min = tuple ? tuple.length : typeof object.minItems === "number" ? object.minItems : 0;
        const items: string[] = [];
        let length = 2;
        for (let k = 0; k < min; k++) {
          const item = this.smallest(tuple ? tuple[k]! : ((object.items ?? true) as Schema), depth + 1);
          // the same item schema min times: its length says at once whether they fit
          this.bounded(tuple ? (length += item.length + 1) : length + min * (item.length + 1));
          items.push(item);
        }
        return `[${items.join(",")}]`;
      }
      case "string": {
        const format = formatOf(object);
        this.bounded(typeof object.minLength === "number" ? object.minLength : 0);
        return `"${format !== undefined ? FORMAT_EXAMPLES[format] : this.padding(object, 0)}"`;
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

  private bounded(length: number): void {
    if (length > SCHEMA_LIMITS.smallestValueChars) {
      throw new SchemaError("", `the smallest value the schema accepts is longer than ${SCHEMA_LIMITS.smallestValueChars} characters`);
    }
  }
}

/** Keys of `true` and `false` schemas in the memo of readings. */
const ANY_VALUE = {};
const NO_VALUE = {};
/** No reading (shared: never added to). */
const NOTHING: Outcome = { ends: new Set<number>(), suffix: undefined };

/** All the readings of `outcomes` (the shortest completion kept). */
function union(...outcomes: Outcome[]): Outcome {
  const all: Outcome = { ends: new Set(), suffix: undefined };
  for (const outcome of outcomes) {
    for (const end of outcome.ends) all.ends.add(end);
    if (outcome.suffix !== undefined && (all.suffix === undefined || outcome.suffix.length < all.suffix.length)) all.suffix = outcome.suffix;
  }
  return all;
}

/**
 * Reading states of one container still to follow, each taken once. A state only leads to states further in the
 * text, so the order they are taken in does not matter.
 */
class StateQueue<S> {
  private readonly seen = new Set<string>();
  private readonly pending: S[] = [];

  constructor(private readonly key: (state: S) => string) {}

  add(state: S): void {
    const key = this.key(state);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.pending.push(state);
  }

  next(): S | undefined {
    return this.pending.pop();
  }
}
