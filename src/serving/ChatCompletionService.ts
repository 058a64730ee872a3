import type { GenerationUsage, TokenLogprob } from "../engine/types.js";
import type { ChatCompletionRequest } from "../protocol/requests.js";
import {
  contentFilterResults,
  responseId,
  sumUsage,
  SYSTEM_FINGERPRINT,
  toChatLogprobs,
  toUsage,
  unixTime,
  type ChatCompletion,
  type ChatCompletionChunk,
} from "../protocol/responses.js";
import { toChatParams } from "../protocol/toGenerationParams.js";
import { generateChoices, type ChoiceEvent } from "./generateChoices.js";
import type { ServedModel } from "./ServedModel.js";
import { started } from "./started.js";

export type ChatResult =
  | { stream: false; response: ChatCompletion }
  | { stream: true; chunks: AsyncIterable<ChatCompletionChunk> };

/**
 * Chat completions, independent of HTTP: renders the messages with the model's template, checks the context
 * budget before anything is sent, runs the `n` choices, and returns either the whole response or its chunks.
 */
export class ChatCompletionService {
  constructor(private readonly model: ServedModel) {}

  async create(request: ChatCompletionRequest, signal?: AbortSignal): Promise<ChatResult> {
    this.model.resolve(request.model);
    const engine = this.model.engine;
    const params = toChatParams(request, engine.info.vocabularySize);
    const prompt = this.model.template.render(params.messages);
    const promptTokens = engine.promptTokens(prompt.text, prompt.parseSpecial);
    const maxTokens = engine.completionBudget(
      promptTokens.length,
      params.maxTokens,
      params.maxTokens === undefined ? "messages" : request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens",
    );
    const events = generateChoices(
      engine,
      [
        {
          promptTokens,
          maxTokens,
          sampling: params.sampling,
          // a structured output ends when its grammar is complete: the template's stop strings could cut it
          stop: params.structured ? params.stop : [...prompt.stop, ...params.stop],
          ...(params.logprobs !== undefined ? { logprobs: params.logprobs } : {}),
          ...(params.structured ? { structured: params.structured } : {}),
        },
      ],
      params.n,
      signal,
    );
    const head = { id: responseId("chat"), created: unixTime(), model: request.model };
    const wantsLogprobs = params.logprobs !== undefined;
    if (params.stream) {
      return { stream: true, chunks: streamChunks(events, head, params.n, wantsLogprobs, params.includeUsage) };
    }
    const contents = Array.from({ length: params.n }, () => "");
    const logprobs = Array.from({ length: params.n }, (): TokenLogprob[] => []);
    const choices: ChatCompletion["choices"] = [];
    const usages: GenerationUsage[] = [];
    for await (const event of events) {
      if (event.type === "text") {
        contents[event.index] += event.text;
        logprobs[event.index]!.push(...(event.logprobs ?? []));
      } else if (event.type === "done") {
        choices.push({
          index: event.index,
          message: { role: "assistant", content: contents[event.index]!, refusal: null },
          logprobs: wantsLogprobs ? toChatLogprobs(logprobs[event.index]!) : null,
          finish_reason: event.finishReason,
          content_filter_results: contentFilterResults(),
        });
        usages.push(promptOnce(event.usage, event.index));
      }
    }
    choices.sort((a, b) => a.index - b.index);
    return {
      stream: false,
      response: { id: head.id, object: "chat.completion", created: head.created, model: head.model, choices, usage: toUsage(sumUsage(usages)), system_fingerprint: SYSTEM_FINGERPRINT },
    };
  }
}

/** The prompt is one for all choices: its tokens count once (with the first choice). */
function promptOnce(usage: GenerationUsage, index: number): GenerationUsage {
  return index === 0 ? usage : { ...usage, promptTokens: 0, cachedTokens: 0 };
}

async function* streamChunks(
  events: AsyncIterable<ChoiceEvent>,
  head: { id: string; created: number; model: string },
  n: number,
  wantsLogprobs: boolean,
  includeUsage: boolean,
): AsyncGenerator<ChatCompletionChunk, void, void> {
  const chunk = (
    index: number,
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finishReason: ChatCompletionChunk["choices"][number]["finish_reason"],
    logprobs: ChatCompletionChunk["choices"][number]["logprobs"] = null,
  ): ChatCompletionChunk => ({
    id: head.id,
    object: "chat.completion.chunk",
    created: head.created,
    model: head.model,
    choices: [{ index, delta, logprobs, finish_reason: finishReason, content_filter_results: contentFilterResults() }],
    system_fingerprint: SYSTEM_FINGERPRINT,
    ...(includeUsage ? { usage: null } : {}),
  });
  // the role deltas go out once the generation has a slot and its first token: a refusal is still a plain status
  const generation = await started(events);
  for (let index = 0; index < n; index++) yield chunk(index, { role: "assistant" }, null);
  const usages: GenerationUsage[] = [];
  for await (const event of generation) {
    if (event.type === "text") {
      yield chunk(event.index, { content: event.text }, null, wantsLogprobs ? toChatLogprobs(event.logprobs ?? []) : null);
    } else if (event.type === "done") {
      usages.push(promptOnce(event.usage, event.index));
      yield chunk(event.index, {}, event.finishReason);
    }
  }
  if (includeUsage) {
    const usage = toUsage(sumUsage(usages));
    yield { id: head.id, object: "chat.completion.chunk", created: head.created, model: head.model, choices: [], system_fingerprint: SYSTEM_FINGERPRINT, usage };
  }
}
