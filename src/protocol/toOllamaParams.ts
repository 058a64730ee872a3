import { InvalidRequestError } from "../errors/ApiError.js";
import type { ToolChatMessage } from "../tools/types.js";
import type { OllamaChatRequest, OllamaGenerateRequest } from "./ollama.js";
import { toolsOf, type ChatParams, type GenerationParams, type RequestedOutput } from "./toGenerationParams.js";

/**
 * Ollama's defaults for the options a request leaves out (`api.DefaultOptions()`): an Ollama client gets the
 * sampling it would get from Ollama. `num_predict` -1 (until the context is full) is the budget left undefined.
 */
export const OLLAMA_DEFAULTS = { temperature: 0.8, topK: 40, topP: 0.9, minP: 0, repeatPenalty: 1.1 } as const;

type Options = NonNullable<OllamaChatRequest["options"]>;

/** A `/api/generate` request as a conversation, and how its prompt is made. */
export interface OllamaGenerateParams {
  params: ChatParams;
  /** `raw`: the prompt is sent as it is, without the template (and without `system` or `context`). */
  raw: boolean;
  /** The token ids of a previous answer's `context`, whose text goes before the rendered prompt (not raw). */
  context: number[];
}

/** The sampling, budget and stop strings of Ollama's `options` (`num_ctx` above the loaded context is a 400). */
export function ollamaSampling(options: Options | null | undefined, contextSize: number): Omit<GenerationParams, "stream" | "includeUsage" | "n" | "logprobs"> {
  const o = options ?? {};
  if (o.num_ctx != null && o.num_ctx > contextSize) {
    throw new InvalidRequestError(
      `options.num_ctx ${o.num_ctx} is above the context this model is loaded with (${contextSize} tokens): load it with a larger --ctx-size.`,
      "options.num_ctx",
      "invalid_value",
    );
  }
  const topK = o.top_k ?? OLLAMA_DEFAULTS.topK;
  const seed = o.seed ?? -1;
  return {
    sampling: {
      temperature: o.temperature ?? OLLAMA_DEFAULTS.temperature,
      topK: topK < 0 ? 0 : topK,
      topP: o.top_p ?? OLLAMA_DEFAULTS.topP,
      minP: o.min_p ?? OLLAMA_DEFAULTS.minP,
      // Ollama's -1 (its default): a random seed, as a request without one gets here
      seed: seed < 0 ? undefined : seed,
      presencePenalty: o.presence_penalty ?? 0,
      frequencyPenalty: o.frequency_penalty ?? 0,
      repetitionPenalty: o.repeat_penalty ?? OLLAMA_DEFAULTS.repeatPenalty,
      logitBias: new Map(),
    },
    // Ollama's runner limits only a positive num_predict: -1, -2 and 0 all generate until the context is full
    maxTokens: o.num_predict != null && o.num_predict > 0 ? o.num_predict : undefined,
    stop: o.stop ?? [],
  };
}

/** Whether `keep_alive` asks for the model to be unloaded once the request is done (a zero duration). */
export function keepAliveUnloads(keepAlive: number | string | null | undefined): boolean {
  if (keepAlive == null) return false;
  if (typeof keepAlive === "number") return keepAlive === 0;
  // a Go duration is zero when every number in it is ("0", "0s", "0m0s")
  return (keepAlive.match(/\d+(\.\d+)?/g) ?? []).every((number) => Number(number) === 0);
}

/** `think`: off is accepted; asking for thinking is refused as Ollama refuses it for a model that cannot think. */
function refuseThinking(request: { model: string; think?: boolean | string | null | undefined }): void {
  if (request.think != null && request.think !== false) {
    throw new InvalidRequestError(`"${request.model}" does not support thinking`, "think", "unsupported_parameter");
  }
}

function refuseImages(images: readonly string[] | null | undefined, param: string): void {
  if (images != null && images.length > 0) {
    throw new InvalidRequestError("Images are not supported: this model reads text only.", param, "unsupported_parameter");
  }
}

/** `format`: "json" (any JSON object), a JSON Schema, or "" (free text). */
function formatOutput(format: OllamaChatRequest["format"]): RequestedOutput | undefined {
  if (format == null || format === "") return undefined;
  if (format === "json") return { type: "json", schema: undefined, param: "format" };
  if (typeof format === "string") throw new InvalidRequestError(`invalid format: expected "json" or a valid JSON schema`, "format", "invalid_value");
  return { type: "json", schema: format, param: "format" };
}

/** The conversation fields shared by chat and generate; the tools offered (all of them `auto`: Ollama has no tool_choice). */
function conversation(
  request: Pick<OllamaChatRequest, "options" | "format" | "stream" | "tools">,
  messages: ToolChatMessage[],
  contextSize: number,
): ChatParams {
  const tools = toolsOf({ tools: request.tools ?? undefined }, { tools: "tools", choice: "tools", parameters: (index) => `tools[${index}].function.parameters` });
  const output = formatOutput(request.format);
  if (output && tools.offered.length > 0) {
    throw new InvalidRequestError("'format' together with 'tools' is not supported by this server yet.", "format", "unsupported_parameter");
  }
  return {
    ...ollamaSampling(request.options, contextSize),
    // Ollama streams unless told not to
    stream: request.stream ?? true,
    includeUsage: false,
    n: 1,
    logprobs: undefined,
    messages,
    tools: tools.offered,
    output,
    toolNames: tools.offered.length > 0 ? new Set(tools.offered.map((tool) => tool.name)) : undefined,
    singleCall: false,
    legacyFunctions: false,
  };
}

/** The conversation of a validated `/api/chat` request. */
export function toOllamaChatParams(request: OllamaChatRequest, contextSize: number): ChatParams {
  refuseThinking(request);
  const messages = (request.messages ?? []).map((message, index): ToolChatMessage => {
    refuseImages(message.images, `messages[${index}].images`);
    // Ollama's calls have no ids: each gets one of its own, and a result names its function instead (`tool_name`)
    const calls = message.tool_calls?.map((call, j) => ({ id: `call_${index}_${j}`, name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) }));
    return {
      role: message.role,
      content: message.content ?? "",
      ...(message.role === "tool" && message.tool_name != null ? { name: message.tool_name } : {}),
      ...(calls && calls.length > 0 ? { toolCalls: calls } : {}),
    };
  });
  return conversation(request, messages, contextSize);
}

/**
 * The conversation of a validated `/api/generate` request: the prompt as a user turn after `system`; `template`
 * (a Go template, which this server does not run) and `suffix` (fill-in-the-middle) are refused rather than ignored.
 */
export function toOllamaGenerateParams(request: OllamaGenerateRequest, contextSize: number): OllamaGenerateParams {
  refuseThinking(request);
  refuseImages(request.images, "images");
  if (request.suffix) throw new InvalidRequestError("'suffix' (fill in the middle) is not supported by this server.", "suffix", "unsupported_parameter");
  if (request.template) {
    throw new InvalidRequestError(
      "'template' is not supported: prompts are rendered with the model's own chat template. Send the prompt formatted with 'raw': true instead.",
      "template",
      "unsupported_parameter",
    );
  }
  const raw = request.raw ?? false;
  const prompt: ToolChatMessage = { role: "user", content: request.prompt ?? "" };
  const messages: ToolChatMessage[] = raw || !request.system ? [prompt] : [{ role: "system", content: request.system }, prompt];
  return { params: conversation({ ...request, tools: undefined }, messages, contextSize), raw, context: raw ? [] : (request.context ?? []) };
}
