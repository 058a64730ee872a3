import { SchemaError } from "./SchemaError.js";

/** The form of the references supported: to a definition of the root, `#/$defs/NAME` or `#/definitions/NAME`. */
const REF = /^#\/(\$defs|definitions)\/([^/]+)$/;

/** A `$ref` followed: the definition, its name, and where it is in the root schema (`$defs.NAME`). */
export interface ResolvedRef {
  name: string;
  target: unknown;
  path: string;
}

/** Where `ref` points (`container`: "$defs" or "definitions"), or undefined when it is not of the supported form. */
export function parseRef(ref: string): { container: string; name: string } | undefined {
  const match = REF.exec(ref);
  return match ? { container: match[1]!, name: match[2]! } : undefined;
}

/**
 * The definition `ref` names in `root`, for the grammar and the closing alike; `SchemaError` (at `path.$ref`) for
 * a reference of another form or to a name not defined. Own names only: `#/$defs/constructor` must not find
 * Object.prototype's.
 */
export function resolveRef(root: unknown, ref: string, path: string): ResolvedRef {
  const parsed = parseRef(ref);
  if (!parsed) throw new SchemaError(`${path}.$ref`, `only references to '#/$defs/NAME' or '#/definitions/NAME' are supported, not ${JSON.stringify(ref)}`);
  const container = isObject(root) && Object.hasOwn(root, parsed.container) ? root[parsed.container] : undefined;
  const target = isObject(container) && Object.hasOwn(container, parsed.name) ? container[parsed.name] : undefined;
  if (target === undefined) throw new SchemaError(`${path}.$ref`, `${JSON.stringify(ref)} is not defined`);
  return { name: parsed.name, target, path: `${parsed.container}.${parsed.name}` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
