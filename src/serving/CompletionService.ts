import type { GenerationUsage, TokenLogprob } from "../engine/types.js";
import type { CompletionRequest } from "../protocol/requests.js";
import {
  contentFilterResults,
  responseId,
  sumUsage,
  SYSTEM_FINGERPRINT,
  toCompletionLogprobs,
  toUsage,
  unixTime,
  type TextCompletion,
} from "../protocol/responses.js";
import { toCompletionParams } from "../protocol/toGenerationParams.js";
import { generateChoices } from "./generateChoices.js";
import type { ServedModel } from "./ServedModel.js";
import { started } from "./started.js";

export type CompletionResult =
  | { stream: false; response: TextCompletion }
  | { stream: true; chunks: AsyncIterable<TextCompletion> };

type Choice = TextCompletion["choices"][number];

/**
 * Text completions, independent of HTTP. Each prompt of the request gives `n` choices (index = prompt index × n +
 * j); they run concurrently on the engine's slots, and every prompt's context budget is checked before anything is
 * generated. With `echo` a choice's text (and, with `logprobs`, its token list) starts with its prompt.
 */
export class CompletionService {
  constructor(private readonly model: ServedModel) {}

  async create(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    this.model.resolve(request.model);
    const engine = this.model.engine;
    const params = toCompletionParams(request, engine.info.vocabularySize);
    const prompts = params.prompts.map((prompt) => {
      const promptTokens = typeof prompt === "string" ? engine.promptTokens(prompt, true) : prompt;
      const maxTokens = engine.completionBudget(promptTokens.length, params.maxTokens, "max_tokens");
      const echo = params.echo ? (typeof prompt === "string" ? prompt : engine.detokenize(prompt)) : "";
      return { promptTokens, maxTokens, echo };
    });
    const n = params.n;
    const events = generateChoices(
      engine,
      prompts.map((prompt) => ({
        promptTokens: prompt.promptTokens,
        maxTokens: prompt.maxTokens,
        sampling: params.sampling,
        stop: params.stop,
        ...(params.logprobs !== undefined ? { logprobs: params.logprobs } : {}),
        ...(params.promptLogprobs !== undefined ? { promptLogprobs: params.promptLogprobs } : {}),
      })),
      n,
      signal,
    );
    const echoOf = (index: number): string => prompts[Math.floor(index / n)]!.echo;
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
    const choice = (index: number, text: string, finishReason: Choice["finish_reason"], logprobs: Choice["logprobs"] = null): Choice => ({
      index,
      text,
      logprobs,
      finish_reason: finishReason,
      content_filter_results: contentFilterResults(),
    });
    // the prompt's tokens count once per prompt, however many choices it has
    const usageOf = (usages: ReadonlyArray<GenerationUsage & { index: number }>): GenerationUsage =>
      sumUsage(usages.map((u) => (u.index % n === 0 ? u : { ...u, promptTokens: 0, cachedTokens: 0 })));

    if (params.stream) {
      const includeUsage = params.includeUsage;
      const wantsLogprobs = params.logprobs !== undefined;
      const waitsForPrompt = params.promptLogprobs !== undefined;
      const chunks = async function* (): AsyncGenerator<TextCompletion, void, void> {
        const usages: Array<GenerationUsage & { index: number }> = [];
        const usage = includeUsage ? null : undefined;
        const generations = await started(events);
        if (params.echo && !waitsForPrompt) {
          for (let index = 0; index < prompts.length * n; index++) yield body([choice(index, echoOf(index), null)], usage);
        }
        for await (const event of generations) {
          const echo = echoOf(event.index);
          if (event.type === "prompt") {
            yield body([choice(event.index, echo, null, toCompletionLogprobs(event.logprobs, 0))], usage);
          } else if (event.type === "text") {
            const logprobs = wantsLogprobs ? toCompletionLogprobs(event.logprobs ?? [], echo.length) : null;
            yield body([choice(event.index, event.text, null, logprobs)], usage);
          } else {
            usages.push({ ...event.usage, index: event.index });
            yield body([choice(event.index, "", event.finishReason)], usage);
          }
        }
        if (includeUsage) yield body([], toUsage(usageOf(usages)));
      };
      return { stream: true, chunks: chunks() };
    }

    const total = prompts.length * n;
    const texts = Array.from({ length: total }, (_, index) => echoOf(index));
    const tokens = Array.from({ length: total }, (): TokenLogprob[] => []);
    const generated = Array.from({ length: total }, (): TokenLogprob[] => []);
    const choices: Choice[] = [];
    const usages: Array<GenerationUsage & { index: number }> = [];
    for await (const event of events) {
      const index = event.index;
      if (event.type === "prompt") {
        tokens[index]!.push(...event.logprobs);
      } else if (event.type === "text") {
        texts[index] += event.text;
        generated[index]!.push(...(event.logprobs ?? []));
      } else {
        const shift = echoOf(index).length; // generated tokens' offsets count from the end of the echoed prompt
        const all = [...tokens[index]!, ...generated[index]!.map((t) => ({ ...t, offset: t.offset + shift }))];
        const logprobs = params.logprobs === undefined ? null : toCompletionLogprobs(all, 0);
        choices.push(choice(index, texts[index]!, event.finishReason, logprobs));
        usages.push({ ...event.usage, index });
      }
    }
    choices.sort((a, b) => a.index - b.index);
    return { stream: false, response: body(choices, toUsage(usageOf(usages))) };
  }
}
