import type { StructuredOutput } from "../engine/types.js";
import { assertClosable, closeJson, NotAPrefixError, smallestJson } from "../grammar/closeJson.js";
import { jsonSchemaGrammar, SchemaError } from "../grammar/jsonSchemaGrammar.js";
import { toolCallSchema } from "./toolCallSchema.js";
import { ToolSchemaError } from "./ToolSchemaError.js";
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, type ToolDefinition } from "./types.js";

/**
 * The output of `tool_choice: "required"` or a named function: nothing but calls to `tools`, each
 * `<tool_call>{"name": ..., "arguments": ...}</tool_call>` with arguments valid for that tool, one call or (with
 * `parallel`) several separated by newlines; closed validly when the tokens run out. A parameters schema the grammar
 * cannot enforce is a `ToolSchemaError` locating it in `tools`.
 */
export function toolCallGrammar(tools: readonly ToolDefinition[], parallel: boolean): StructuredOutput {
  const { schema, locate } = toolCallSchema(tools);
  const call = (value: string): string => `"${TOOL_CALL_OPEN}" ${value} "${TOOL_CALL_CLOSE}"`;
  try {
    const grammar = jsonSchemaGrammar(schema, (value) => (parallel ? `${call(value)} ( "\\n" ${call(value)} )*` : call(value)));
    assertClosable(schema); // refuses arguments schemas with a value the closing could not end
    return { grammar, close: (text) => closeToolCalls(text, schema) };
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    throw new ToolSchemaError(locate(error.path), error.message);
  }
}

/** The text that completes `text` (calls as the grammar above writes them) into whole calls. */
function closeToolCalls(text: string, schema: unknown): string {
  const start = text.lastIndexOf("\n") + 1; // the call being written starts after the last separator
  const current = text.slice(start);
  if (current.length < TOOL_CALL_OPEN.length) {
    if (!TOOL_CALL_OPEN.startsWith(current)) throw new NotAPrefixError();
    return `${TOOL_CALL_OPEN.slice(current.length)}${smallestJson(schema)}${TOOL_CALL_CLOSE}`;
  }
  if (!current.startsWith(TOOL_CALL_OPEN)) throw new NotAPrefixError();
  const body = current.slice(TOOL_CALL_OPEN.length);
  if (body === "") return `${smallestJson(schema)}${TOOL_CALL_CLOSE}`;
  // the body is JSON, possibly followed by part of the closing marker (JSON strings may hold "<", so try each split)
  for (let cut = body.length; cut >= Math.max(0, body.length - TOOL_CALL_CLOSE.length); cut--) {
    const rest = body.slice(cut);
    if (!TOOL_CALL_CLOSE.startsWith(rest)) continue;
    try {
      const closing = closeJson(body.slice(0, cut), schema);
      if (rest === "") return closing === "" ? TOOL_CALL_CLOSE : `${closing}${TOOL_CALL_CLOSE}`;
      if (closing === "") return rest.length === TOOL_CALL_CLOSE.length ? "" : TOOL_CALL_CLOSE.slice(rest.length);
    } catch (error) {
      if (!(error instanceof NotAPrefixError)) throw error;
    }
  }
  throw new NotAPrefixError();
}
