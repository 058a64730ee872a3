import { randomInt } from "node:crypto";
import { InvalidRequestError } from "../errors/ApiError.js";
import type { SamplingParams, StructuredOutput } from "../engine/types.js";
import { assertClosable, jsonCloser } from "../grammar/closeJson.js";
import { jsonObjectGrammar, jsonSchemaGrammar, SchemaError } from "../grammar/jsonSchemaGrammar.js";
import { toolCallGrammar } from "../tools/toolCallGrammar.js";
import type { ToolChatMessage, ToolDefinition } from "../tools/types.js";
import { LIMITS } from "./limits.js";
import type { ChatCompletionRequest, ChatRequestMessage, CompletionRequest } from "./requests.js";

/** What both endpoints ask of a generation, in engine terms. */
export interface GenerationParams {
  sampling: SamplingParams;
  /** The client's `max_tokens` (undefined: chat uses the rest of the context). */
  maxTokens: number | undefined;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  /** Choices per prompt. */
  n: number;
  /** Alternatives per token when the generated tokens' logprobs are asked for; undefined: none. */
  logprobs: number | undefined;
}

export interface ChatParams extends GenerationParams {
  /** The messages as they came (text flattened; tool calls and results kept), for the service to render. */
  messages: ToolChatMessage[];
  /** The tools offered to the model (none with `tool_choice: "none"`). */
  tools: ToolDefinition[];
  /** `response_format` json_object / json_schema, or calls forced by `tool_choice`: the grammar the output is sampled under. */
  structured: StructuredOutput | undefined;
  /** The functions whose calls are parsed out of the output (tools offered and `tool_choice` not "none"). */
  toolNames: ReadonlySet<string> | undefined;
  /**
   * At most one call (`parallel_tool_calls: false`, or the deprecated `functions`): forced calls by the grammar;
   * with `auto`, the generation stops at the end of the first call.
   */
  singleCall: boolean;
  /** The request used the deprecated `functions`: a call comes back as `message.function_call`. */
  legacyFunctions: boolean;
}

export interface CompletionParams extends GenerationParams {
  /** One entry per prompt: text, or token ids. */
  prompts: Array<string | number[]>;
  echo: boolean;
  /** Completions generated per prompt, of which the `n` with the highest logprob per token are returned. */
  bestOf: number;
  /** Alternatives per prompt token when the echoed prompt's logprobs are asked for; undefined: none. */
  promptLogprobs: number | undefined;
}

/** OpenAI's default `max_tokens` for the legacy completions endpoint. */
export const DEFAULT_COMPLETION_MAX_TOKENS = 16;

type SharedFields = Pick<
  ChatCompletionRequest,
  | "frequency_penalty"
  | "logit_bias"
  | "n"
  | "presence_penalty"
  | "seed"
  | "stop"
  | "stream"
  | "stream_options"
  | "temperature"
  | "top_p"
  | "top_k"
  | "min_p"
  | "repetition_penalty"
>;

function unsupported(param: string, what: string): InvalidRequestError {
  return new InvalidRequestError(`${what} is not supported by this server yet.`, param, "unsupported_parameter");
}

function shared(request: SharedFields, vocabularySize: number): Omit<GenerationParams, "maxTokens" | "logprobs"> {
  const logitBias = new Map<number, number>();
  for (const [key, bias] of Object.entries(request.logit_bias ?? {})) {
    const token = Number(key);
    if (token >= vocabularySize) {
      throw new InvalidRequestError(`Invalid key in 'logit_bias': token id ${key} is not in the vocabulary.`, "logit_bias");
    }
    logitBias.set(token, bias);
  }
  const topK = request.top_k ?? 0;
  return {
    sampling: {
      temperature: request.temperature ?? 1,
      topK: topK < 0 ? 0 : topK,
      topP: request.top_p ?? 1,
      minP: request.min_p ?? 0,
      seed: request.seed ?? randomInt(2 ** 31),
      presencePenalty: request.presence_penalty ?? 0,
      frequencyPenalty: request.frequency_penalty ?? 0,
      repetitionPenalty: request.repetition_penalty ?? 1,
      logitBias,
    },
    stop: request.stop == null ? [] : typeof request.stop === "string" ? [request.stop] : request.stop,
    stream: request.stream ?? false,
    includeUsage: request.stream_options?.include_usage ?? false,
    n: request.n ?? 1,
  };
}

function messageText(message: ChatRequestMessage, index: number): string {
  const content = message.content;
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content
    .map((part, partIndex) => {
      if (part.type === "text" && typeof part.text === "string") return part.text;
      throw new InvalidRequestError(
        `Content parts of type '${part.type}' are not supported: this model reads text only.`,
        `messages[${index}].content[${partIndex}].type`,
      );
    })
    .join("");
}

/** The engine-side view of a validated chat request. */
export function toChatParams(request: ChatCompletionRequest, vocabularySize: number): ChatParams {
  if (request.top_logprobs != null && !request.logprobs) {
    throw new InvalidRequestError("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs", "invalid_value");
  }
  const legacy = legacyFunctions(request);
  const tools = legacy ? asLegacy(() => toolsOf(legacy)) : toolsOf(request);
  const messages = request.messages.map((message, index): ToolChatMessage => {
    const role = message.role === "developer" ? "system" : message.role === "function" ? "tool" : message.role;
    // a deprecated function_call is a tool call without an id: a function result names its function instead
    const calls = message.tool_calls?.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })) ??
      (message.function_call ? [{ id: `function_call_${index}`, name: message.function_call.name, arguments: message.function_call.arguments }] : undefined);
    return {
      role,
      content: messageText(message, index),
      ...(message.name !== undefined ? { name: message.name } : {}),
      ...(calls ? { toolCalls: calls } : {}),
      ...(message.tool_call_id != null ? { toolCallId: message.tool_call_id } : {}),
    };
  });
  if (tools.offered.length > 0 && request.response_format && request.response_format.type !== "text") {
    throw unsupported("response_format", "'response_format' together with 'tools'");
  }
  return {
    ...shared(request, vocabularySize),
    messages,
    tools: tools.offered,
    maxTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
    logprobs: request.logprobs ? (request.top_logprobs ?? 0) : undefined,
    structured: tools.structured ?? structuredOutput(request.response_format),
    toolNames: tools.offered.length > 0 ? new Set(tools.offered.map((tool) => tool.name)) : undefined,
    singleCall: (legacy ?? request).parallel_tool_calls === false,
    legacyFunctions: legacy !== undefined,
  };
}

/** Errors about the tools a deprecated `functions` stands for, naming the fields the request used. */
function asLegacy<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof InvalidRequestError) || error.param === null) throw error;
    const param = error.param.replace(/^tools\[(\d+)\]\.function/, "functions[$1]").replace(/^tools$/, "functions").replace(/^tool_choice$/, "function_call");
    const message = error.message.replace(/'tools'/g, "'functions'").replace(/'tool_choice'/g, "'function_call'");
    throw new InvalidRequestError(message, param, error.code);
  }
}

type ToolFields = Pick<ChatCompletionRequest, "tools" | "tool_choice" | "parallel_tool_calls">;

/** The deprecated `functions` / `function_call` as the `tools` / `tool_choice` they stand for (one call at most). */
function legacyFunctions(request: ChatCompletionRequest): ToolFields | undefined {
  if (request.functions == null) {
    if (request.function_call != null) throw new InvalidRequestError("'function_call' needs 'functions' to choose from.", "function_call", "invalid_value");
    return undefined;
  }
  if (request.tools != null || request.tool_choice != null) {
    throw new InvalidRequestError("'functions' is the deprecated form of 'tools': use one or the other.", "functions", "invalid_value");
  }
  const choice = request.function_call;
  return {
    tools: request.functions.map((f) => ({ type: "function" as const, function: f })),
    tool_choice: choice == null || typeof choice === "string" ? (choice ?? "auto") : { type: "function" as const, function: { name: choice.name } },
    parallel_tool_calls: false,
  };
}

/**
 * The tools offered to the model (none with `tool_choice: "none"`), and the grammar that forces calls for
 * `"required"` or a named function (`parallel_tool_calls: false`: exactly one call).
 */
function toolsOf(request: ToolFields): { offered: ToolDefinition[]; structured?: StructuredOutput } {
  const definitions = (request.tools ?? []).map(({ function: f }): ToolDefinition => ({
    name: f.name,
    ...(f.description !== undefined ? { description: f.description } : {}),
    ...(f.parameters !== undefined ? { parameters: f.parameters } : {}),
  }));
  const duplicate = definitions.find((tool, i) => definitions.findIndex((other) => other.name === tool.name) !== i);
  if (duplicate) throw new InvalidRequestError(`The function '${duplicate.name}' is listed twice in 'tools'.`, "tools", "invalid_value");
  const choice = request.tool_choice ?? (definitions.length > 0 ? "auto" : "none");
  if (choice === "none") return { offered: [] };
  if (definitions.length === 0) throw new InvalidRequestError("'tool_choice' needs 'tools' to choose from.", "tool_choice", "invalid_value");
  if (choice === "auto") return { offered: definitions };
  const forced = choice === "required" ? definitions.map((tool, index) => ({ tool, index })) : definitions.flatMap((tool, index) => (tool.name === choice.function.name ? [{ tool, index }] : []));
  if (forced.length === 0) throw new InvalidRequestError(`'tool_choice' names '${(choice as { function: { name: string } }).function.name}', which is not in 'tools'.`, "tool_choice", "invalid_value");
  try {
    return { offered: definitions, structured: toolCallGrammar(forced.map((f) => f.tool), request.parallel_tool_calls ?? true) };
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    throw new InvalidRequestError(`Invalid parameters schema: ${error.message}.`, toolParam(error.path, forced.map((f) => f.index)), "invalid_value");
  }
}

/** A path inside the call schema (`toolCallSchema`) as the request's parameter path. */
function toolParam(path: string, indexes: readonly number[]): string {
  const inArguments = /^\.anyOf\[(\d+)\]\.properties\.arguments(.*)$/.exec(path);
  if (inArguments) return `tools[${indexes[Number(inArguments[1])]}].function.parameters${inArguments[2]}`;
  const inDefs = /^\$defs\.t(\d+)_([^.]+)(.*)$/.exec(path);
  if (inDefs) return `tools[${indexes[Number(inDefs[1])]}].function.parameters.$defs.${inDefs[2]}${inDefs[3]}`;
  return "tools";
}

/** The grammar of a JSON response format; a schema the grammar cannot enforce is a 400 naming the keyword. */
function structuredOutput(format: ChatCompletionRequest["response_format"]): StructuredOutput | undefined {
  if (!format || format.type === "text") return undefined;
  const [schema, param] =
    format.type === "json_object" ? [format.schema, "response_format.schema"] : [format.json_schema.schema ?? {}, "response_format.json_schema.schema"];
  try {
    const grammar = schema === undefined ? jsonObjectGrammar() : jsonSchemaGrammar(schema);
    // a schema with a value the closing could not end is refused now, not when an output needs closing
    if (schema !== undefined) assertClosable(schema);
    return { grammar, close: jsonCloser(schema) };
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    const at = error.path === "" || /^[.[]/.test(error.path) ? error.path : `.${error.path}`;
    throw new InvalidRequestError(`Invalid schema for response_format: ${error.message}.`, `${param}${at}`, "invalid_value");
  }
}

/** The engine-side view of a validated text-completion request. */
export function toCompletionParams(request: CompletionRequest, vocabularySize: number): CompletionParams {
  const n = request.n ?? 1;
  const bestOf = request.best_of ?? n;
  if (bestOf < n) throw new InvalidRequestError("'best_of' must be at least 'n'.", "best_of", "invalid_value");
  if (bestOf > n && request.stream) throw new InvalidRequestError("'best_of' greater than 'n' cannot be streamed.", "best_of", "invalid_value");
  if (request.max_tokens === 0 && !request.echo) {
    throw new InvalidRequestError("'max_tokens' may be 0 only with 'echo': there would be nothing to return.", "max_tokens", "invalid_value");
  }
  if (request.suffix) throw unsupported("suffix", "'suffix'");
  const prompt = request.prompt;
  let prompts: Array<string | number[]>;
  if (typeof prompt === "string") prompts = [prompt];
  else if (prompt.every((item) => typeof item === "string")) prompts = prompt as string[];
  else if (prompt.every((item) => typeof item === "number")) prompts = [prompt as number[]];
  else prompts = prompt as number[][];
  // every generation holds a slot's state and a stream: bounded per request, whatever n, best_of and the prompts
  if (prompts.length * bestOf > LIMITS.choices) {
    const param = request.best_of != null ? "best_of" : "n";
    throw new InvalidRequestError(`${param} × prompts is ${prompts.length * bestOf}: at most ${LIMITS.choices} generations per request.`, param, "invalid_value");
  }
  for (const [index, item] of prompts.entries()) {
    if (typeof item !== "string" && item.some((token) => token >= vocabularySize)) {
      throw new InvalidRequestError(`Prompt ${index} holds a token id outside the vocabulary.`, "prompt");
    }
  }
  return {
    ...shared(request, vocabularySize),
    prompts,
    echo: request.echo ?? false,
    bestOf,
    maxTokens: request.max_tokens ?? DEFAULT_COMPLETION_MAX_TOKENS,
    logprobs: request.logprobs ?? undefined,
    promptLogprobs: request.echo ? (request.logprobs ?? undefined) : undefined,
  };
}
