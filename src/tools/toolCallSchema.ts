import { renameRefs } from "../grammar/renameRefs.js";
import type { ToolSchemaLocation } from "./ToolSchemaError.js";
import type { ToolDefinition } from "./types.js";

const NO_ARGUMENTS: Record<string, unknown> = { type: "object", properties: {}, additionalProperties: false };

export interface CallSchema {
  schema: Record<string, unknown>;
  /**
   * The tool a path of `schema` (as a `SchemaError` gives it) falls in, and the path inside that tool's parameters;
   * undefined when it falls in no one tool (the call's frame, or the schema as a whole).
   */
  locate(path: string): ToolSchemaLocation | undefined;
}

/**
 * The JSON Schema of one call to any of `tools`: `{"name": <one of the names>, "arguments": <that tool's
 * parameters>}`. Each tool's `$defs` / `definitions` move to the top, renamed `t<tool index>_<name>`, with its
 * `$ref`s rewritten to match, so the references still resolve from the call schema's root. This file alone knows
 * that layout, so it alone maps a place in the call schema back to a tool.
 */
export function toolCallSchema(tools: readonly ToolDefinition[]): CallSchema {
  const defs: Record<string, unknown> = {};
  const prefix = (index: number): string => `t${index}_`;
  const alternatives = tools.map((tool, index) => {
    const { $defs, definitions, ...parameters } = tool.parameters ?? NO_ARGUMENTS;
    const rename = (name: string): string => `${prefix(index)}${name}`;
    for (const container of [$defs, definitions]) {
      if (container === null || typeof container !== "object") continue;
      for (const [name, schema] of Object.entries(container)) defs[rename(name)] = renameRefs(schema, rename);
    }
    return {
      type: "object",
      properties: { name: { const: tool.name }, arguments: renameRefs(parameters, rename) },
      required: ["name", "arguments"],
      additionalProperties: false,
    };
  });
  const schema = { anyOf: alternatives, ...(Object.keys(defs).length > 0 ? { $defs: defs } : {}) };
  const locate = (path: string): ToolSchemaLocation | undefined => {
    for (let tool = 0; tool < tools.length; tool++) {
      const inArguments = `.anyOf[${tool}].properties.arguments`;
      if (path.startsWith(inArguments)) return { tool, path: path.slice(inArguments.length) };
      // a definition is located from the root, without a leading dot; the tool's own are under `$defs` (`t1_` is no
      // prefix of `t10_`)
      const inDefs = `$defs.${prefix(tool)}`;
      if (path.startsWith(inDefs)) return { tool, path: `.$defs.${path.slice(inDefs.length)}` };
    }
    return undefined;
  };
  return { schema, locate };
}
