import { randomInt } from "node:crypto";
import type { SamplingParams, StructuredOutput } from "../engine/types.js";
import { InvalidRequestError } from "../errors/ApiError.js";
import { assertClosable, jsonCloser } from "../grammar/closeJson.js";
import { jsonObjectGrammar, jsonSchemaGrammar, SchemaError } from "../grammar/jsonSchemaGrammar.js";
import type { RequestedOutput, RequestedSampling } from "../protocol/toGenerationParams.js";
import { toolCallGrammar } from "../tools/toolCallGrammar.js";
import { ToolSchemaError } from "../tools/ToolSchemaError.js";

type JsonOutput = Extract<RequestedOutput, { type: "json" }>;
type ToolCallsOutput = Extract<RequestedOutput, { type: "tool_calls" }>;

/**
 * What the pure mapping of a request (`protocol/toGenerationParams.ts`) leaves to serving, before anything is sent:
 * a random seed when the request gave none (OpenAI's default), and the grammar of the output it asked for. A schema
 * the grammar cannot enforce, or with a value the closing could not end, is refused now (400 naming where it is in
 * the request), not when an output needs closing.
 */
export function compileGeneration(params: { sampling: RequestedSampling; output?: RequestedOutput | undefined }): {
  sampling: SamplingParams;
  structured: StructuredOutput | undefined;
} {
  const output = params.output;
  const structured = output === undefined ? undefined : output.type === "json" ? jsonGrammar(output) : toolCallsGrammar(output);
  return { sampling: { ...params.sampling, seed: params.sampling.seed ?? randomInt(2 ** 31) }, structured };
}

function jsonGrammar({ schema, param }: JsonOutput): StructuredOutput {
  try {
    const grammar = schema === undefined ? jsonObjectGrammar() : jsonSchemaGrammar(schema);
    if (schema !== undefined) assertClosable(schema);
    return { grammar, close: jsonCloser(schema) };
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    // a definition is located from the schema's root without a leading dot (`$defs.NAME`)
    const at = error.path === "" || error.path.startsWith(".") || error.path.startsWith("[") ? error.path : `.${error.path}`;
    // named by the request's field that holds it: `response_format`, Ollama's `format`
    throw new InvalidRequestError(`Invalid schema for ${param.split(".")[0]}: ${error.message}.`, `${param}${at}`, "invalid_value");
  }
}

function toolCallsGrammar({ tools, parallel, param }: ToolCallsOutput): StructuredOutput {
  try {
    return toolCallGrammar(tools.map((forced) => forced.tool), parallel);
  } catch (error) {
    if (!(error instanceof ToolSchemaError)) throw error;
    const at = error.location === undefined ? param : `${tools[error.location.tool]!.param}${error.location.path}`;
    throw new InvalidRequestError(`Invalid parameters schema: ${error.message}.`, at, "invalid_value");
  }
}
