import type { GenerationEvent, GenerationUsage } from "../engine/types.js";
import type { CompletionRequest } from "../protocol/requests.js";
import {
  contentFilterResults,
  responseId,
  sumUsage,
  SYSTEM_FINGERPRINT,
  toUsage,
  unixTime,
  type TextCompletion,
} from "../protocol/responses.js";
import { toCompletionParams } from "../protocol/toGenerationParams.js";
import { mergeStreams } from "./mergeStreams.js";
import type { ServedModel } from "./ServedModel.js";
import { started } from "./started.js";

export type CompletionResult =
  | { stream: false; response: TextCompletion }
  | { stream: true; chunks: AsyncIterable<TextCompletion> };

type Choice = TextCompletion["choices"][number];
type IndexedEvent = GenerationEvent & { index: number };

/**
 * Text completions, independent of HTTP. Each prompt of the request is one choice; the prompts run concurrently
 * on the engine's slots, and every prompt's context budget is checked before anything is generated.
 */
export class CompletionService {
  constructor(private readonly model: ServedModel) {}

  async create(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    this.model.resolve(request.model);
    const engine = this.model.engine;
    const params = toCompletionParams(request, engine.info.vocabularySize);
    const jobs = params.prompts.map((prompt) => {
      const promptTokens = typeof prompt === "string" ? engine.promptTokens(prompt, true) : prompt;
      const maxTokens = engine.completionBudget(promptTokens.length, params.maxTokens, "max_tokens");
      const echo = params.echo ? (typeof prompt === "string" ? prompt : engine.detokenize(prompt)) : "";
      return { promptTokens, maxTokens, echo };
    });
    const streams = jobs.map((job, index) =>
      tagged(
        engine.generate({ promptTokens: job.promptTokens, maxTokens: job.maxTokens, sampling: params.sampling, stop: params.stop }, signal),
        index,
      ),
    );
    const id = responseId("cmpl");
    const created = unixTime();
    const body = (choices: Choice[], usage?: TextCompletion["usage"]): TextCompletion => ({
      id,
      object: "text_completion",
      created,
      model: request.model,
      choices,
      ...(usage !== undefined ? { usage } : {}),
      system_fingerprint: SYSTEM_FINGERPRINT,
    });
    const choice = (index: number, text: string, finishReason: Choice["finish_reason"]): Choice => ({
      index,
      text,
      logprobs: null,
      finish_reason: finishReason,
      content_filter_results: contentFilterResults(),
    });

    if (params.stream) {
      const includeUsage = params.includeUsage;
      const chunks = async function* (): AsyncGenerator<TextCompletion, void, void> {
        const usages: GenerationUsage[] = [];
        const usage = includeUsage ? null : undefined;
        const generations = await started(mergeStreams(streams));
        for (const [index, job] of jobs.entries()) {
          if (job.echo !== "") yield body([choice(index, job.echo, null)], usage);
        }
        for await (const event of generations) {
          if (event.type === "text") {
            yield body([choice(event.index, event.text, null)], usage);
          } else {
            usages.push(event.usage);
            yield body([choice(event.index, "", event.finishReason)], usage);
          }
        }
        if (includeUsage) yield body([], toUsage(sumUsage(usages)));
      };
      return { stream: true, chunks: chunks() };
    }

    const texts = jobs.map((job) => job.echo);
    const choices: Choice[] = [];
    const usages: GenerationUsage[] = [];
    for await (const event of mergeStreams(streams)) {
      if (event.type === "text") {
        texts[event.index] += event.text;
      } else {
        choices.push(choice(event.index, texts[event.index] ?? "", event.finishReason));
        usages.push(event.usage);
      }
    }
    choices.sort((a, b) => a.index - b.index);
    return { stream: false, response: body(choices, toUsage(sumUsage(usages))) };
  }
}

async function* tagged(events: AsyncIterable<GenerationEvent>, index: number): AsyncGenerator<IndexedEvent, void, void> {
  for await (const event of events) yield { ...event, index };
}
