import { ANY_OBJECT, JsonCloser } from "./JsonCloser.js";
import { SchemaError } from "./SchemaError.js";
import type { Schema } from "./schemaNode.js";
import { isObject, SchemaValues } from "./SchemaValues.js";
import { closerPerOutput } from "./closerPerOutput.js";

export { NotAPrefixError } from "./JsonCloser.js";

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
 * `schema` undefined means `response_format: json_object`: any object. `NotAPrefixError` when nothing completes it.
 */
export function closeJson(text: string, schema?: unknown): string {
  const root = schema === undefined ? ANY_OBJECT : (schema as Schema);
  return new JsonCloser(root, new SchemaValues(root)).close(text);
}

/**
 * `closeJson` for the texts of outputs, each text extending one before (the text so far, after every sampled
 * token): the reading of that text is carried on, so a text costs what it adds, not its whole length. The `n`
 * choices of a request share their closing function, so a reading is kept per output (`closerPerOutput`).
 */
export function jsonCloser(schema?: unknown): (text: string) => string {
  const root = schema === undefined ? ANY_OBJECT : (schema as Schema);
  const values = new SchemaValues(root);
  return closerPerOutput(() => new JsonCloser(root, values));
}

/** The smallest value `schema` accepts, as JSON text (the grammar's spelling: no spaces). */
export function smallestJson(schema?: unknown): string {
  const root = schema === undefined ? ANY_OBJECT : (schema as Schema);
  return new SchemaValues(root).smallest(root, 0);
}

/**
 * Refuses (`SchemaError`, located) a schema some of whose subschemas have no value of finite size, or a smallest
 * value longer than `SCHEMA_LIMITS.smallestValueChars`: the grammar would let a model start such a value, and its
 * closing could then not end it, or would be unbounded. Run once per request, before generating.
 */
export function assertClosable(schema: unknown): void {
  const values = new SchemaValues(schema as Schema);
  const seen = new Set<object>();
  const pending: Array<{ node: unknown; path: string }> = [{ node: schema, path: "" }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, path } = next;
    if (!isObject(node) || seen.has(node)) continue;
    seen.add(node);
    try {
      values.smallest(node, 0);
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
