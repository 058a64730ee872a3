import type { ToolDefinition } from "./types.js";

const NO_ARGUMENTS: Record<string, unknown> = { type: "object", properties: {}, additionalProperties: false };

/**
 * The JSON Schema of one call to any of `tools`: `{"name": <one of the names>, "arguments": <that tool's
 * parameters>}`. Each tool's `$defs` / `definitions` move to the top, renamed `<tool index>_<name>`, with its `$ref`s
 * rewritten to match, so the references still resolve from the call schema's root.
 */
export function toolCallSchema(tools: readonly ToolDefinition[]): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  const alternatives = tools.map((tool, index) => {
    const { $defs, definitions, ...parameters } = tool.parameters ?? NO_ARGUMENTS;
    const rename = (name: string): string => `t${index}_${name}`;
    for (const container of [$defs, definitions]) {
      if (container === null || typeof container !== "object") continue;
      for (const [name, schema] of Object.entries(container)) defs[rename(name)] = rewriteRefs(schema, rename);
    }
    return {
      type: "object",
      properties: { name: { const: tool.name }, arguments: rewriteRefs(parameters, rename) },
      required: ["name", "arguments"],
      additionalProperties: false,
    };
  });
  return { anyOf: alternatives, ...(Object.keys(defs).length > 0 ? { $defs: defs } : {}) };
}

function rewriteRefs(schema: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(schema)) return schema.map((item) => rewriteRefs(item, rename));
  if (schema === null || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => {
      if (key === "$ref" && typeof value === "string") {
        const match = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(value);
        return [key, match ? `#/$defs/${rename(match[1]!)}` : value];
      }
      return [key, rewriteRefs(value, rename)];
    }),
  );
}
