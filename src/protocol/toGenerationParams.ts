import { InvalidRequestError } from "../errors/ApiError.js";
import type { SamplingParams } from "../engine/types.js";
import type { ToolChatMessage, ToolDefinition } from "../tools/types.js";
import { LIMITS } from "./limits.js";
import type { ChatCompletionRequest, ChatRequestMessage, CompletionRequest } from "./requests.js";

/** The sampling settings as asked: `seed` undefined when the request gave none (serving draws one). */
export type RequestedSampling = Omit<SamplingParams, "seed"> & { seed: number | undefined };

/**
 * The form the output must take, as the request asks it: JSON (any object when `schema` is undefined), or calls to
 * the tools `tool_choice` forces (exactly one with `parallel` false). `param` (and each tool's) names where the
 * schema is in the request. `serving/compileGeneration.ts` builds the grammar.
 */
export type RequestedOutput =
  | { type: "json"; schema: Record<string, unknown> | undefined; param: string }
  | { type: "tool_calls"; tools: Array<{ tool: ToolDefinition; param: string }>; parallel: boolean; param: string };

/**
 * What both endpoints ask of a generation, in engine terms: a pure mapping of the request (no grammar compiled, no
 * seed drawn: `serving/compileGeneration.ts` does both).
 */
export interface GenerationParams {
  sampling: RequestedSampling;
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
  /** `response_format` json_object / json_schema, or calls forced by `tool_choice`: what the output is sampled under. */
  output: RequestedOutput | undefined;
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
      seed: request.seed ?? undefined,
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
  const tools = toolsOf(legacy ?? request, legacy ? FUNCTIONS : TOOLS);
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
    output: tools.forced ?? jsonOutput(request.response_format),
    toolNames: tools.offered.length > 0 ? new Set(tools.offered.map((tool) => tool.name)) : undefined,
    singleCall: (legacy ?? request).parallel_tool_calls === false,
    legacyFunctions: legacy !== undefined,
  };
}

/** The names of the request's tool fields, for its errors: `tools`, or the deprecated `functions` they stand for. */
export interface ToolNames {
  tools: string;
  choice: string;
  parameters(index: number): string;
}
const TOOLS: ToolNames = { tools: "tools", choice: "tool_choice", parameters: (index) => `tools[${index}].function.parameters` };
const FUNCTIONS: ToolNames = { tools: "functions", choice: "function_call", parameters: (index) => `functions[${index}].parameters` };

export type ToolFields = Pick<ChatCompletionRequest, "tools" | "tool_choice" | "parallel_tool_calls">;

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
 * The tools offered to the model (none with `tool_choice: "none"`), and the calls forced for `"required"` or a
 * named function (`parallel_tool_calls: false`: exactly one call); errors name the fields as `names` does.
 */
export function toolsOf(request: ToolFields, names: ToolNames): { offered: ToolDefinition[]; forced?: RequestedOutput } {
  const definitions = (request.tools ?? []).map(({ function: f }): ToolDefinition => ({
    name: f.name,
    ...(f.description !== undefined ? { description: f.description } : {}),
    ...(f.parameters !== undefined ? { parameters: f.parameters } : {}),
  }));
  const duplicate = definitions.find((tool, i) => definitions.findIndex((other) => other.name === tool.name) !== i);
  if (duplicate) throw new InvalidRequestError(`The function '${duplicate.name}' is listed twice in '${names.tools}'.`, names.tools, "invalid_value");
  const choice = request.tool_choice ?? (definitions.length > 0 ? "auto" : "none");
  if (choice === "none") return { offered: [] };
  if (definitions.length === 0) throw new InvalidRequestError(`'${names.choice}' needs '${names.tools}' to choose from.`, names.choice, "invalid_value");
  if (choice === "auto") return { offered: definitions };
  const forced = choice === "required" ? definitions.map((tool, index) => ({ tool, index })) : definitions.flatMap((tool, index) => (tool.name === choice.function.name ? [{ tool, index }] : []));
  if (forced.length === 0) throw new InvalidRequestError(`'${names.choice}' names '${(choice as { function: { name: string } }).function.name}', which is not in '${names.tools}'.`, names.choice, "invalid_value");
  const tools = forced.map(({ tool, index }) => ({ tool, param: names.parameters(index) }));
  return { offered: definitions, forced: { type: "tool_calls", tools, parallel: request.parallel_tool_calls ?? true, param: names.tools } };
}

/** The JSON a response format asks for, and where its schema is in the request. */
function jsonOutput(format: ChatCompletionRequest["response_format"]): RequestedOutput | undefined {
  if (!format || format.type === "text") return undefined;
  return format.type === "json_object"
    ? { type: "json", schema: format.schema, param: "response_format.schema" }
    : { type: "json", schema: format.json_schema.schema ?? {}, param: "response_format.json_schema.schema" };
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
