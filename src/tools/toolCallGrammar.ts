import type { StructuredOutput } from "../engine/types.js";
import { assertClosable } from "../grammar/closeJson.js";
import { jsonSchemaGrammar, SchemaError } from "../grammar/jsonSchemaGrammar.js";
import { toolCallSchema } from "./toolCallSchema.js";
import { toolCallsCloser } from "./toolCallsCloser.js";
import { ToolSchemaError } from "./ToolSchemaError.js";
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, type ToolDefinition } from "./types.js";

/**
 * The output of `tool_choice: "required"` or a named function: nothing but calls to `tools`, each
 * `<tool_call>{"name": ..., "arguments": ...}</tool_call>` with arguments valid for that tool, one call or (with
 * `parallel`) several separated by newlines; closed validly when the tokens run out (by `toolCallsCloser`, which
 * carries its reading from text to text). A parameters schema the grammar cannot enforce is a `ToolSchemaError`
 * locating it in `tools`.
 */
export function toolCallGrammar(tools: readonly ToolDefinition[], parallel: boolean): StructuredOutput {
  const { schema, locate } = toolCallSchema(tools);
  const call = (value: string): string => `"${TOOL_CALL_OPEN}" ${value} "${TOOL_CALL_CLOSE}"`;
  try {
    const grammar = jsonSchemaGrammar(schema, (value) => (parallel ? `${call(value)} ( "\\n" ${call(value)} )*` : call(value)));
    assertClosable(schema); // refuses arguments schemas with a value the closing could not end
    return { grammar, close: toolCallsCloser(schema) };
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    throw new ToolSchemaError(locate(error.path), error.message);
  }
}
