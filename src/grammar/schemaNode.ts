import { resolveRef } from "./resolveRef.js";
import { SchemaError } from "./SchemaError.js";

export type Schema = boolean | { [keyword: string]: unknown };
export const TYPES = ["string", "number", "integer", "boolean", "null", "object", "array"] as const;
export type JsonType = (typeof TYPES)[number];

/**
 * What a subschema is, read the one way the grammar builder and the closing both read it: a reference, fixed
 * values (`const` / `enum`), alternatives (`anyOf` / `oneOf`), or values of some types (`types` undefined: none
 * declared nor implied by the keywords, any value).
 */
export type SchemaNode =
  | { kind: "ref"; ref: string; name: string; target: Schema; path: string }
  | { kind: "values"; values: readonly unknown[]; path: string }
  | { kind: "alternatives"; options: readonly Schema[]; paths: string[] }
  | { kind: "types"; types: JsonType[] | undefined; schema: Record<string, unknown> };

/**
 * `schema` (not `true`, which the callers read as any value), found at `path` under `root`, as a `SchemaNode`;
 * a `SchemaError` located at `path` when it is malformed (`false`, an empty `enum`, an unknown type, a `$ref` that
 * does not resolve).
 */
export function schemaNode(schema: Schema, root: Schema, path: string): SchemaNode {
  if (schema === false) throw new SchemaError(path, "the schema 'false' accepts no value");
  if (!isObject(schema)) throw new SchemaError(path, "a schema must be an object or a boolean");
  if (typeof schema.$ref === "string") {
    const resolved = resolveRef(root, schema.$ref, path);
    return { kind: "ref", ref: schema.$ref, name: resolved.name, target: resolved.target as Schema, path: resolved.path };
  }
  if ("const" in schema) return { kind: "values", values: [schema.const], path: `${path}.const` };
  if (schema.enum !== undefined) {
    if (!Array.isArray(schema.enum) || schema.enum.length === 0) throw new SchemaError(`${path}.enum`, "'enum' must be a non-empty array");
    return { kind: "values", values: schema.enum, path: `${path}.enum` };
  }
  const options = schema.anyOf ?? schema.oneOf;
  if (options !== undefined) {
    const key = schema.anyOf !== undefined ? "anyOf" : "oneOf";
    if (!Array.isArray(options) || options.length === 0) throw new SchemaError(`${path}.${key}`, `'${key}' must be a non-empty array`);
    return { kind: "alternatives", options: options as Schema[], paths: options.map((_, i) => `${path}.${key}[${i}]`) };
  }
  return { kind: "types", types: typesOf(schema, path), schema };
}

/** The types `schema` declares, or the one its keywords imply (undefined: none, any value). */
function typesOf(schema: Record<string, unknown>, path: string): JsonType[] | undefined {
  const type = schema.type;
  if (type === undefined) {
    if (schema.properties !== undefined || schema.additionalProperties !== undefined || schema.required !== undefined) return ["object"];
    if (schema.items !== undefined || schema.prefixItems !== undefined) return ["array"];
    return undefined;
  }
  const list = Array.isArray(type) ? type : [type];
  for (const item of list) {
    if (!TYPES.includes(item as JsonType)) throw new SchemaError(`${path}.type`, `unknown type ${JSON.stringify(item)}`);
  }
  if (list.length === 0) throw new SchemaError(`${path}.type`, "'type' must name a type");
  return list as JsonType[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
