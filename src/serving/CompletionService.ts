import type { GenerationUsage, TokenLogprob } from "../engine/types.js";
import { isFlagged } from "../moderation/ModerationVerdict.js";
import type { Moderator } from "../moderation/Moderator.js";
import type { CompletionRequest } from "../protocol/requests.js";
import {
  contentFilterResults,
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
import { choicesUsage } from "./choicesUsage.js";
import { compileGeneration } from "./compileGeneration.js";
import { completionBudget } from "./completionBudget.js";
import { generateChoices } from "./generateChoices.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import { moderatePrompts } from "./moderatePrompts.js";
import { observedChoices } from "./observedChoices.js";
import type { ServedModel } from "./ServedModel.js";
import { started } from "./started.js";
import { withApiErrors } from "./withApiErrors.js";

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
  constructor(
    private readonly model: ServedModel,
    private readonly moderator: Moderator,
  ) {}

  create(request: CompletionRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<CompletionResult> {
    return withApiErrors(this.run(request, signal, observer));
  }

  private async run(request: CompletionRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<CompletionResult> {
    this.model.resolve(request.model);
    const engine = this.model.engine;
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
    const moderator = this.moderator;
    const promptFilter = await moderatePrompts(moderator, prompts.map((prompt) => prompt.text), (index) => (prompts.length > 1 ? `prompt[${index}]` : "prompt"));
    const n = params.n;
    // with best_of, more completions run than are returned; each prompt's candidates are ranked by their logprobs
    const perPrompt = params.bestOf;
    const generationLogprobs = params.logprobs ?? (perPrompt > n ? 0 : undefined);
    // a streamed choice whose output the content filter withholds is halted, so its slot is freed at once
    const halts = params.stream && moderator.blocks ? Array.from({ length: prompts.length * perPrompt }, () => new AbortController()) : [];
    const requests = prompts.map((prompt) => ({
      promptTokens: prompt.promptTokens,
      maxTokens: prompt.maxTokens,
      sampling,
      stop: params.stop,
      ...(generationLogprobs !== undefined ? { logprobs: generationLogprobs } : {}),
      ...(params.promptLogprobs !== undefined ? { promptLogprobs: params.promptLogprobs } : {}),
    }));
    const events = observedChoices(generateChoices(engine, requests, perPrompt, signal, (index) => halts[index]?.signal), observer, requests, perPrompt, signal);
    const echoOf = (index: number): string => prompts[Math.floor(index / perPrompt)]!.echo;
    const promptOf = (index: number): string => prompts[Math.floor(index / perPrompt)]!.text;
    const id = responseId("cmpl");
    const created = unixTime();
    const body = (choices: Choice[], usage?: TextCompletion["usage"], first = false): TextCompletion => ({
      id,
      object: "text_completion",
      created,
      model: request.model,
      choices,
      ...(first && promptFilter ? { prompt_filter_results: promptFilter } : {}),
      ...(usage !== undefined ? { usage } : {}),
      system_fingerprint: SYSTEM_FINGERPRINT,
    });
    const choice = (
      index: number,
      text: string,
      finishReason: Choice["finish_reason"],
      logprobs: Choice["logprobs"] = null,
      filter = contentFilterResults(),
    ): Choice => ({
      index,
      text,
      logprobs,
      finish_reason: finishReason,
      content_filter_results: filter,
    });
    // the prompt's tokens count once per prompt, however many choices it has

    if (params.stream) {
      const includeUsage = params.includeUsage;
      const wantsLogprobs = params.logprobs !== undefined;
      const waitsForPrompt = params.promptLogprobs !== undefined;
      const outputs = Array.from({ length: prompts.length * n }, (_, index) => moderator.stream(promptOf(index)));
      const chunks = async function* (): AsyncGenerator<TextCompletion, void, void> {
        const usages: Array<GenerationUsage & { index: number }> = [];
        const usage = includeUsage ? null : undefined;
        let first = true; // the prompts' filter results go with the first chunk
        const chunk = (index: number, text: string, finishReason: Choice["finish_reason"], logprobs: Choice["logprobs"] = null): TextCompletion => {
          const filter = contentFilterResults(outputs[index]!.verdict, moderator.blocks);
          const result = body([choice(index, text, finishReason, logprobs, filter)], usage, first);
          first = false;
          return result;
        };
        const generations = await started(events);
        if (params.echo && !waitsForPrompt) {
          for (let index = 0; index < prompts.length * n; index++) yield chunk(index, echoOf(index), null);
        }
        for await (const event of generations) {
          const echo = echoOf(event.index);
          const output = outputs[event.index]!;
          if (event.type === "prompt") {
            yield chunk(event.index, echo, null, toCompletionLogprobs(event.logprobs, 0));
          } else if (event.type === "text") {
            // a piece the content filter flags is not sent, nor anything after it
            if (output.withheld) continue;
            if (!(await output.push(event.text))) {
              halts[event.index]?.abort();
              continue;
            }
            const logprobs = wantsLogprobs ? toCompletionLogprobs(event.logprobs ?? [], echo.length) : null;
            yield chunk(event.index, event.text, null, logprobs);
          } else {
            if (!output.withheld) await output.end();
            usages.push({ ...event.usage, index: event.index });
            yield chunk(event.index, "", output.withheld ? "content_filter" : event.finishReason);
          }
        }
        if (includeUsage) yield body([], toUsage(choicesUsage(usages, perPrompt)), first);
      };
      return { stream: true, chunks: chunks() };
    }

    const total = prompts.length * perPrompt;
    const texts = Array.from({ length: total }, (_, index) => echoOf(index));
    const tokens = Array.from({ length: total }, (): TokenLogprob[] => []);
    const generated = Array.from({ length: total }, (): TokenLogprob[] => []);
    const candidates: Array<{ index: number; choice: Choice; score: number }> = [];
    const usages: Array<GenerationUsage & { index: number }> = [];
    for await (const event of events) {
      const index = event.index;
      if (event.type === "prompt") {
        tokens[index]!.push(...event.logprobs);
      } else if (event.type === "text") {
        texts[index] += event.text;
        generated[index]!.push(...(event.logprobs ?? []));
      } else {
        const echo = echoOf(index);
        const verdict = await moderator.check(texts[index]!.slice(echo.length), "output", promptOf(index));
        const withheld = verdict !== undefined && moderator.blocks && isFlagged(verdict);
        const shift = echo.length; // generated tokens' offsets count from the end of the echoed prompt
        const all = [...tokens[index]!, ...(withheld ? [] : generated[index]!.map((t) => ({ ...t, offset: t.offset + shift })))];
        const logprobs = params.logprobs === undefined ? null : toCompletionLogprobs(all, 0);
        const filter = contentFilterResults(verdict, moderator.blocks);
        const values = generated[index]!.map((t) => t.logprob ?? 0);
        const score = values.length === 0 ? -Infinity : values.reduce((sum, v) => sum + v, 0) / values.length;
        candidates.push({ index, choice: choice(index, withheld ? echo : texts[index]!, withheld ? "content_filter" : event.finishReason, logprobs, filter), score });
        usages.push({ ...event.usage, index });
      }
    }
    // each prompt's n best candidates (all of them without best_of), numbered prompt × n + rank
    const choices: Choice[] = prompts.flatMap((_, p) =>
      candidates
        .filter((c) => Math.floor(c.index / perPrompt) === p)
        .sort((a, b) => (perPrompt > n ? b.score - a.score : a.index - b.index))
        .slice(0, n)
        .map((c, rank) => ({ ...c.choice, index: p * n + rank })),
    );
    return { stream: false, response: body(choices, toUsage(choicesUsage(usages, perPrompt)), true) };
  }
}
