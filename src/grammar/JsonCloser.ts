import { ContainerReading, merge, NOTHING, offer, type Outcome } from "./ContainerReading.js";
import { SchemaError } from "./SchemaError.js";
import type { Schema } from "./schemaNode.js";
import { FORMAT_EXAMPLES, formatOf, isObject, SchemaValues } from "./SchemaValues.js";

/**
 * The text is not a prefix of a value the schema accepts: out of `closeJson` it means the text was not written
 * under the schema's grammar.
 */
export class NotAPrefixError extends Error {}

/** `response_format: json_object`: any object. */
export const ANY_OBJECT: Schema = { type: "object", additionalProperties: true };
const ANY_ARRAY: Record<string, unknown> = { items: true };
/**
 * Nesting of the text read: a recursive schema lets a model nest without end, and every level is a few stack frames
 * (far below the stack's size at this depth).
 */
const MAX_TEXT_DEPTH = 1_000;
/** Keys of `true` and `false` schemas in the memo of readings. */
const ANY_VALUE = {};
const NO_VALUE = {};

/**
 * Closes the texts of one output under `root` (see `closeJson`), each text the one before with more appended, as
 * the engine asks after every sampled token: what was read of the text before is kept, so each text costs only
 * what it adds (plus the path from the root to its end), not a whole new reading. A readings' memo entry, or a
 * container's reading state, that never reached the end of the text is settled: nothing appended can change it.
 * What did reach the end is read again. A text that does not extend the one before is read from scratch.
 */
export class JsonCloser {
  private text = "";
  /** Readings by subschema and position that settled. */
  private settled = new WeakMap<object, Map<number, Outcome>>();
  /** Readings of the current text that reached its end (dropped when the text grows). */
  private current = new WeakMap<object, Map<number, Outcome>>();
  /** Object and array readings, by alternative and position. */
  private containers = new WeakMap<object, Map<number, ContainerReading<never>>>();
  /** Strings whose closing quote was not read yet, by their position: where their scan stopped. */
  private strings = new Map<number, { i: number; length: number }>();
  /** The current text's number: a container is read once per text. */
  private pass = 0;
  /** Whether the reading under way reached the end of the text. */
  private reachedEnd = false;
  constructor(
    private readonly root: Schema,
    private readonly values: SchemaValues,
  ) {}

  /** The length of the text read last, if `text` extends it (else undefined: `close(text)` reads it from scratch). */
  extendedBy(text: string): number | undefined {
    // (a slice compared is an exact check several times faster than startsWith on long texts, and on ropes)
    return text.slice(0, this.text.length) === this.text ? this.text.length : undefined;
  }

  /** The shortest text that completes `text` (`NotAPrefixError` when nothing does). */
  close(text: string): string {
    if (this.extendedBy(text) === undefined) this.forget();
    this.text = text;
    this.pass++;
    this.current = new WeakMap();
    this.reachedEnd = false;
    try {
      const outcome = this.value(this.root, skipSpaces(text, 0), 0);
      if ([...outcome.ends].some((end) => skipSpaces(text, end) >= text.length)) return "";
      if (outcome.suffix === undefined) throw new NotAPrefixError();
      return outcome.suffix;
    } catch (error) {
      // a reading cut short by an error is not to be resumed
      this.forget();
      throw error;
    }
  }

  private forget(): void {
    this.text = "";
    this.settled = new WeakMap();
    this.containers = new WeakMap();
    this.strings = new Map();
  }

  /** Whether `at` is past the text (the reading under way then reached its end). */
  private atEnd(at: number): boolean {
    if (at < this.text.length) return false;
    this.reachedEnd = true;
    return true;
  }

  /** Runs `read`; whether it reached the end of the text (which the reading around it then did too). */
  private reaches(read: () => void): boolean {
    const outer = this.reachedEnd;
    this.reachedEnd = false;
    read();
    const reached = this.reachedEnd;
    this.reachedEnd = outer || reached;
    return reached;
  }

  /** Every reading of a value of `schema` at `at` (after spaces). */
  private value(schema: Schema, at: number, depth: number): Outcome {
    if (this.atEnd(at)) return { ends: new Set(), suffix: this.values.smallest(schema, 0) };
    if (depth > MAX_TEXT_DEPTH) throw new SchemaError("", `the output nests deeper than ${MAX_TEXT_DEPTH} levels`);
    const key: object = typeof schema === "boolean" ? (schema ? ANY_VALUE : NO_VALUE) : schema;
    const settled = this.settled.get(key)?.get(at);
    if (settled) return settled;
    const current = this.current.get(key)?.get(at);
    if (current) {
      this.reachedEnd = true;
      return current;
    }
    const outcome: Outcome = { ends: new Set(), suffix: undefined };
    const reached = this.reaches(() => {
      for (const alternative of this.values.alternatives(schema)) merge(outcome, this.typed(alternative, at, depth));
    });
    const memo = reached ? this.current : this.settled;
    let byPosition = memo.get(key);
    if (!byPosition) memo.set(key, (byPosition = new Map()));
    byPosition.set(at, outcome);
    return outcome;
  }

  private typed(schema: Schema, at: number, depth: number): Outcome {
    const c = this.text[at]!;
    const type = this.values.typeOf(schema);
    if (type === "const") return this.literal(JSON.stringify((schema as { const: unknown }).const), at);
    if (type === undefined) {
      // any value: its first character says which
      if (c === "{") return this.object(ANY_OBJECT as Record<string, unknown>, at, depth);
      if (c === "[") return this.array(ANY_ARRAY, at, depth);
      if (c === '"') return this.string({}, at);
      if (c === "-" || /[0-9]/.test(c)) return this.number(at, false);
      return merge(merge(this.literal("true", at), this.literal("false", at)), this.literal("null", at));
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
        return merge(this.literal("true", at), this.literal("false", at));
      default:
        return this.literal("null", at);
    }
  }

  /** A fixed text (a literal, an enum value): whole, or its rest when the input ends inside it. */
  private literal(word: string, at: number): Outcome {
    const rest = this.text.slice(at, at + word.length);
    if (!word.startsWith(rest)) return { ends: new Set(), suffix: undefined };
    if (rest.length === word.length) return { ends: new Set([at + word.length]), suffix: undefined };
    this.reachedEnd = true;
    return { ends: new Set(), suffix: word.slice(rest.length) };
  }

  /** A number ends where its characters do (JSON puts no number right after another). */
  private number(at: number, integer: boolean): Outcome {
    const chars = integer ? /[-0-9]/ : /[-+0-9.eE]/;
    let end = at;
    while (end < this.text.length && chars.test(this.text[end]!)) end++;
    if (!this.atEnd(end)) return { ends: new Set([end]), suffix: undefined };
    // the input ends in the number: a sign, a point or an exponent mark still needs a digit
    return { ends: new Set(), suffix: /[-+.eE]$/.test(this.text) ? "0" : "" };
  }

  /** A string; its scan resumes where the text before ended, so a long string is not scanned again per text. */
  private string(schema: Record<string, unknown>, at: number): Outcome {
    let { i, length } = this.strings.get(at) ?? { i: at + 1, length: 0 };
    let suffix: string | undefined;
    for (; !this.atEnd(i); length++) {
      const c = this.text[i]!;
      if (c === '"') {
        this.strings.delete(at);
        return { ends: new Set([i + 1]), suffix: undefined };
      }
      if (c !== "\\") {
        i++;
        continue;
      }
      const escape = this.text.slice(i + 1, i + 6);
      if (escape.length === 0) suffix = `n${this.values.padding(schema, length + 1)}"`;
      else if (escape[0] === "u" && escape.length < 5) suffix = `${"0".repeat(5 - escape.length)}${this.values.padding(schema, length + 1)}"`;
      if (suffix !== undefined) {
        this.reachedEnd = true;
        break;
      }
      i += escape[0] === "u" ? 6 : 2;
    }
    this.strings.set(at, { i, length });
    if (suffix !== undefined) return { ends: new Set(), suffix };
    const format = formatOf(schema);
    if (format !== undefined) {
      // under anyOf, a format the text has already left (a date-time's "100" is no time) is no way to close it
      const written = this.text.slice(at + 1);
      return { ends: new Set(), suffix: formatFits(format, written) ? `${completeFormat(format, written)}"` : undefined };
    }
    return { ends: new Set(), suffix: `${this.values.padding(schema, length)}"` };
  }

  /** The reading of the container `schema` at `at`, resumed from the text before; `step` reads one state. */
  private container<S>(schema: object, at: number, first: () => S, key: (state: S) => string, step: (state: S, found: Outcome, add: (state: S) => void) => void): Outcome {
    let byPosition = this.containers.get(schema) as Map<number, ContainerReading<S>> | undefined;
    if (!byPosition) this.containers.set(schema, (byPosition = new Map()) as Map<number, ContainerReading<never>>);
    let reading = byPosition.get(at);
    if (!reading) byPosition.set(at, (reading = new ContainerReading(key, first())));
    const outcome = reading.read(this.pass, (state, found, add) => this.reaches(() => step(state, found, add)));
    if (reading.reachesEnd) this.reachedEnd = true;
    return outcome;
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
    const smallest = (child: Schema): string => this.values.smallest(child, 0);
    /** Whether properties `from`..`to` - 1 may all be left out. */
    const skippable = (from: number, to: number): boolean => names.slice(from, to).every((name) => !required.has(name));
    /** `,"name":value` for every required property after `index`, then the brace. */
    const close = (index: number): string =>
      `${names
        .slice(index + 1)
        .filter((name) => required.has(name))
        .map((name) => `,${JSON.stringify(name)}:${smallest(properties[name] as Schema)}`)
        .join("")}}`;
    /** The entry a comma (or an open brace that must hold one) asks for, with the rest closed. */
    const nextEntry = (last: number): string | undefined => {
      if (free) return additional === false ? undefined : `"":${smallest(additional)}}`;
      const rest = names.slice(last + 1);
      const name = rest.find((n) => required.has(n)) ?? rest[0];
      if (name === undefined) return undefined;
      return `${JSON.stringify(name)}:${smallest(properties[name] as Schema)}${close(names.indexOf(name))}`;
    };
    // reading states: position, index of the last property written, whether a comma was just read
    type State = { i: number; last: number; afterComma: boolean };
    const first = (): State => ({ i: at + 1, last: -1, afterComma: false });
    return this.container<State>(schema, at, first, (s) => `${s.i} ${s.last} ${s.afterComma}`, (state, found, add) => {
      const { last, afterComma } = state;
      // spaces are skipped here, not where the state was made: the text may have ended inside them
      const i = skipSpaces(this.text, state.i);
      const tail = (): string => (free ? "}" : close(last));
      if (this.atEnd(i)) {
        // just after the brace: the object may end here unless a required property is still to come
        offer(found, afterComma || (last === -1 && !skippable(0, names.length)) ? nextEntry(last) : tail());
        return;
      }
      if (this.text[i] === "}") {
        if (!afterComma && (free || skippable(last + 1, names.length))) found.ends.add(i + 1);
        return;
      }
      if (this.text[i] !== '"' || (last !== -1 && !afterComma)) return;
      const key = this.string({}, i);
      if (key.suffix !== undefined) {
        if (free) {
          if (additional !== false) offer(found, `${key.suffix}:${smallest(additional)}}`);
          return;
        }
        // the grammar writes keys as JSON strings of declared names, in order, skipping no required one
        const written = this.text.slice(i + 1);
        for (let index = last + 1; index < names.length; index++) {
          const spelled = JSON.stringify(names[index]).slice(1);
          if (spelled.startsWith(written)) offer(found, `${spelled.slice(written.length)}:${smallest(properties[names[index]!] as Schema)}${close(index)}`);
          if (required.has(names[index]!)) break;
        }
        return;
      }
      const keyEnd = [...key.ends][0]!;
      const name = JSON.parse(this.text.slice(i, keyEnd)) as string;
      let index = -1;
      let valueSchema: Schema;
      if (free) {
        if (additional === false) return;
        valueSchema = additional;
      } else {
        index = names.indexOf(name);
        if (index <= last || !skippable(last + 1, index)) return;
        valueSchema = properties[name] as Schema;
      }
      const closeAfter = (): string => (free ? "}" : close(index));
      const colon = skipSpaces(this.text, keyEnd);
      if (this.atEnd(colon)) {
        offer(found, `:${smallest(valueSchema)}${closeAfter()}`);
        return;
      }
      if (this.text[colon] !== ":") return;
      const value = this.value(valueSchema, skipSpaces(this.text, colon + 1), depth + 1);
      if (value.suffix !== undefined) offer(found, `${value.suffix}${closeAfter()}`);
      for (const end of value.ends) {
        const j = skipSpaces(this.text, end);
        if (this.atEnd(j)) offer(found, closeAfter());
        else if (this.text[j] === ",") add({ i: j + 1, last: index, afterComma: true });
        else if (this.text[j] === "}" && (free || skippable(index + 1, names.length))) found.ends.add(j + 1);
      }
    });
  }

  /** An array: `prefixItems` as a fixed tuple, or `items` between `minItems` and `maxItems`. */
  private array(schema: Record<string, unknown>, at: number, depth: number): Outcome {
    const tuple = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : undefined;
    const itemSchema = (index: number): Schema => (tuple ? (tuple[index] ?? false) : ((schema.items ?? true) as Schema));
    const min = tuple ? tuple.length : typeof schema.minItems === "number" ? schema.minItems : 0;
    const max = tuple ? tuple.length : typeof schema.maxItems === "number" ? schema.maxItems : Infinity;
    /** The items still needed after `count`, then the bracket. */
    const close = (count: number): string => {
      const missing = Array.from({ length: Math.max(0, min - count) }, (_, k) => this.values.smallest(itemSchema(count + k), 0));
      return `${missing.map((item) => `,${item}`).join("")}]`;
    };
    type State = { i: number; count: number; afterComma: boolean };
    const first = (): State => ({ i: at + 1, count: 0, afterComma: false });
    return this.container<State>(schema, at, first, (s) => `${s.i} ${s.count} ${s.afterComma}`, (state, found, add) => {
      const { count, afterComma } = state;
      const i = skipSpaces(this.text, state.i);
      if (this.atEnd(i)) {
        if (afterComma || (count === 0 && min > 0)) {
          if (count < max) offer(found, `${this.values.smallest(itemSchema(count), 0)}${close(count + 1)}`);
        } else offer(found, close(count));
        return;
      }
      if (this.text[i] === "]") {
        if (!afterComma && count >= min) found.ends.add(i + 1);
        return;
      }
      if ((count > 0 && !afterComma) || count >= max) return;
      const value = this.value(itemSchema(count), i, depth + 1);
      if (value.suffix !== undefined) offer(found, `${value.suffix}${close(count + 1)}`);
      for (const end of value.ends) {
        const j = skipSpaces(this.text, end);
        if (this.atEnd(j)) offer(found, close(count + 1));
        else if (this.text[j] === ",") add({ i: j + 1, count: count + 1, afterComma: true });
        else if (this.text[j] === "]" && count + 1 >= min) found.ends.add(j + 1);
      }
    });
  }
}

function skipSpaces(text: string, at: number): number {
  while (at < text.length && /\s/.test(text[at]!)) at++;
  return at;
}

/** The fixed part of each format's shape: `9` a digit, `x` a lower-case hex digit, any other character itself. */
const FORMAT_SHAPES: Record<string, string> = {
  date: "9999-99-99",
  time: "99:99:99",
  "date-time": "9999-99-99T99:99:99",
  uuid: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
};
/** What may follow a time's seconds, cut anywhere: a fraction being written, or a fraction (if any) and a zone. */
const TIME_TAIL_PREFIX = /^(?:\.[0-9]{0,6}|(?:\.[0-9]{1,6})?(?:Z|[+-](?:[0-9]{0,2}|[0-9]{2}:[0-9]{0,2})))?$/;

/** Whether `written` (a string's text so far, without the quote) can still become a string of `format`. */
function formatFits(format: string, written: string): boolean {
  const shape = FORMAT_SHAPES[format]!;
  for (let i = 0; i < Math.min(shape.length, written.length); i++) {
    const want = shape[i]!;
    const c = written[i]!;
    if (want === "9" ? !/[0-9]/.test(c) : want === "x" ? !/[0-9a-f]/.test(c) : c !== want) return false;
  }
  if (written.length <= shape.length) return true;
  return (format === "time" || format === "date-time") && TIME_TAIL_PREFIX.test(written.slice(shape.length));
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
