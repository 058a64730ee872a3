import type { GenerationEvent } from "../engine/types.js";
import type { ChatCompletionRequest } from "../protocol/requests.js";
import {
  contentFilterResults,
  responseId,
  SYSTEM_FINGERPRINT,
  toUsage,
  unixTime,
  type ChatCompletion,
  type ChatCompletionChunk,
} from "../protocol/responses.js";
import { toChatParams } from "../protocol/toGenerationParams.js";
import type { ServedModel } from "./ServedModel.js";
import { started } from "./started.js";

export type ChatResult =
  | { stream: false; response: ChatCompletion }
  | { stream: true; chunks: AsyncIterable<ChatCompletionChunk> };

/**
 * Chat completions, independent of HTTP: renders the messages with the model's template, checks the context
 * budget before anything is sent, and returns either the whole response or its chunks.
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
    const events = engine.generate(
      { promptTokens, maxTokens, sampling: params.sampling, stop: [...prompt.stop, ...params.stop] },
      signal,
    );
    const id = responseId("chat");
    const created = unixTime();
    const modelName = request.model;
    if (params.stream) {
      return { stream: true, chunks: streamChunks(events, { id, created, model: modelName }, params.includeUsage) };
    }
    let content = "";
    for await (const event of events) {
      if (event.type === "text") {
        content += event.text;
        continue;
      }
      return {
        stream: false,
        response: {
          id,
          object: "chat.completion",
          created,
          model: modelName,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content, refusal: null },
              logprobs: null,
              finish_reason: event.finishReason,
              content_filter_results: contentFilterResults(),
            },
          ],
          usage: toUsage(event.usage),
          system_fingerprint: SYSTEM_FINGERPRINT,
        },
      };
    }
    throw new Error("generation ended without a result");
  }
}

async function* streamChunks(
  events: AsyncIterable<GenerationEvent>,
  head: { id: string; created: number; model: string },
  includeUsage: boolean,
): AsyncGenerator<ChatCompletionChunk, void, void> {
  const chunk = (
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finishReason: ChatCompletionChunk["choices"][number]["finish_reason"],
  ): ChatCompletionChunk => ({
    id: head.id,
    object: "chat.completion.chunk",
    created: head.created,
    model: head.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason, content_filter_results: contentFilterResults() }],
    system_fingerprint: SYSTEM_FINGERPRINT,
    ...(includeUsage ? { usage: null } : {}),
  });
  // the role delta goes out once the generation has a slot and its first token: a refusal is still a plain status
  const generation = await started(events);
  yield chunk({ role: "assistant" }, null);
  for await (const event of generation) {
    if (event.type === "text") {
      yield chunk({ content: event.text }, null);
      continue;
    }
    yield chunk({}, event.finishReason);
    if (includeUsage) {
      yield {
        id: head.id,
        object: "chat.completion.chunk",
        created: head.created,
        model: head.model,
        choices: [],
        system_fingerprint: SYSTEM_FINGERPRINT,
        usage: toUsage(event.usage),
      };
    }
  }
}
