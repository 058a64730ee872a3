import { parseRef } from "./resolveRef.js";

/**
 * A copy of `schema` whose references to definitions (`#/$defs/NAME`, `#/definitions/NAME`) point to
 * `#/$defs/<rename(NAME)>`: for a schema whose definitions move, renamed, into another root (a tool's parameters
 * into the schema of a call to any tool). Other references are left as they are.
 */
export function renameRefs(schema: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(schema)) return schema.map((item) => renameRefs(item, rename));
  if (schema === null || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => {
      if (key === "$ref" && typeof value === "string") {
        const parsed = parseRef(value);
        return [key, parsed ? `#/$defs/${rename(parsed.name)}` : value];
      }
      return [key, renameRefs(value, rename)];
    }),
  );
}
