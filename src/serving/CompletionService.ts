import type { ModerationVerdict } from "../moderation/ModerationVerdict.js";
import type { CompletionRequest } from "../protocol/requests.js";
import {
  contentFilterField,
  promptFilterResults,
  responseId,
  SYSTEM_FINGERPRINT,
  toCompletionLogprobs,
  toUsage,
  unixTime,
  type TextCompletion,
} from "../protocol/responses.js";
import { setImmediate as nextTurn } from "node:timers/promises";
import { assertTextCanFit } from "../protocol/assertTextCanFit.js";
import { toCompletionParams } from "../protocol/toGenerationParams.js";
import { compileGeneration } from "./compileGeneration.js";
import { completionBudget } from "./completionBudget.js";
import { completionChunks } from "./completionChunks.js";
import { GenerationSurface } from "./GenerationSurface.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { ServedModel } from "./ServedModel.js";

export type CompletionResult =
  | { stream: false; response: TextCompletion }
  | { stream: true; chunks: AsyncIterable<TextCompletion> };

type Choice = TextCompletion["choices"][number];

/**
 * Text completions, independent of HTTP, a surface over the generation pipeline. Each prompt of the request gives `n` choices (index = prompt index × n +
 * j); they run concurrently on the engine's slots, and every prompt's context budget is checked before anything is
 * generated. With `echo` a choice's text (and, with `logprobs`, its token list) starts with its prompt.
 */
export class CompletionService extends GenerationSurface<CompletionRequest, CompletionResult> {
  protected async run(model: ServedModel, request: CompletionRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<CompletionResult> {
    const engine = model.engine;
    const params = toCompletionParams(request, engine.info.vocabularySize);
    const { sampling } = compileGeneration(params);
    const prompts: Array<{ promptTokens: number[]; maxTokens: number; text: string; echo: string }> = [];
    for (const [index, prompt] of params.prompts.entries()) {
      // one prompt tokenized per turn of the event loop: the others' requests go on between two
      if (index > 0) await nextTurn();
      if (typeof prompt === "string") assertTextCanFit(prompt, engine.info.contextSize, engine.info.longestTokenChars, params.prompts.length > 1 ? `prompt[${index}]` : "prompt");
      const promptTokens = typeof prompt === "string" ? engine.promptTokens(prompt, true) : prompt;
      const maxTokens = completionBudget(engine, promptTokens.length, params.maxTokens, "max_tokens");
      const text = typeof prompt === "string" ? prompt : engine.detokenize(prompt);
      prompts.push({ promptTokens, maxTokens, text, echo: params.echo ? text : "" });
    }
    const n = params.n;
    // with best_of, more completions run than are returned; each prompt's candidates are ranked by their logprobs
    const perPrompt = params.bestOf;
    const generationLogprobs = params.logprobs ?? (perPrompt > n ? 0 : undefined);
    const pipeline = await this.pipeline(model, {
      prompts: prompts.map((prompt, index) => ({
        request: {
          promptTokens: prompt.promptTokens,
          maxTokens: prompt.maxTokens,
          sampling,
          stop: params.stop,
          ...(generationLogprobs !== undefined ? { logprobs: generationLogprobs } : {}),
          ...(params.promptLogprobs !== undefined ? { promptLogprobs: params.promptLogprobs } : {}),
        },
        moderated: prompt.text,
        param: prompts.length > 1 ? `prompt[${index}]` : "prompt",
      })),
      perPrompt,
      signal,
      observer,
    });
    const id = responseId("cmpl");
    const created = unixTime();
    const promptFilter = promptFilterResults(pipeline.promptVerdicts, pipeline.blocking);
    const body = (choices: Choice[], usage: TextCompletion["usage"] | undefined, first: boolean): TextCompletion => ({
      id,
      object: "text_completion",
      created,
      model: request.model,
      choices,
      ...(first && promptFilter ? { prompt_filter_results: promptFilter } : {}),
      ...(usage !== undefined ? { usage } : {}),
      system_fingerprint: SYSTEM_FINGERPRINT,
    });
    const choice = (index: number, text: string, finishReason: Choice["finish_reason"], logprobs: Choice["logprobs"], verdict: ModerationVerdict | undefined): Choice => ({
      index,
      text,
      logprobs,
      finish_reason: finishReason,
      ...contentFilterField(verdict, pipeline.blocking),
    });
    if (params.stream) {
      const rendering = {
        body,
        choice,
        echo: params.echo,
        echoOf: (index: number) => prompts[Math.floor(index / perPrompt)]!.echo,
        wantsLogprobs: params.logprobs !== undefined,
        waitsForPrompt: params.promptLogprobs !== undefined,
        includeUsage: params.includeUsage,
      };
      return { stream: true, chunks: completionChunks(pipeline.stream(), rendering) };
    }
    // each prompt's n best candidates (all of them without best_of), numbered prompt × n + rank
    const { choices, usage } = await pipeline.complete(n);
    const rendered = choices.map((result) => {
      const echo = prompts[Math.floor(result.index / n)]!.echo;
      // generated tokens' offsets count from the end of the echoed prompt
      const tokens = [...result.promptLogprobs, ...result.logprobs.map((t) => ({ ...t, offset: t.offset + echo.length }))];
      const logprobs = params.logprobs === undefined ? null : toCompletionLogprobs(tokens, 0);
      // text completions split no tool calls: a choice ends as the engine or the content filter ended it
      return choice(result.index, echo + result.text, result.finishReason as Choice["finish_reason"], logprobs, result.verdict);
    });
    return { stream: false, response: body(rendered, toUsage(usage), true) };
  }
}
