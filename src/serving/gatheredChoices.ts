import type { GenerationUsage, TokenLogprob } from "../engine/types.js";
import { isFlagged } from "../moderation/ModerationVerdict.js";
import type { Moderator } from "../moderation/Moderator.js";
import type { ToolCallParser, ToolOutputEvent } from "../tools/ToolCallParser.js";
import { bestChoices } from "./bestChoices.js";
import { choicesUsage } from "./choicesUsage.js";
import type { ChoiceEvent } from "./generateChoices.js";
import type { ChoiceResult } from "./pipelineTypes.js";

export interface GatheredChoicesOptions {
  moderator: Moderator;
  /** The context each choice's output is judged in, by choice index. */
  moderated: (index: number) => string;
  /** Generations per prompt, and how many of them each prompt answers with (the best by mean logprob when fewer). */
  perPrompt: number;
  keep: number;
  /** A new tool-call parser for one choice, when the request has tools. */
  parser: () => ToolCallParser | undefined;
}

/**
 * A request's choices gathered whole: each choice's text is moderated when it is done (a flagged one, under a
 * blocking filter, is withheld: no text, no calls, no logprobs, `content_filter`) and split into content and tool
 * calls. Returns each prompt's `keep` choices and the usage of them all.
 */
export async function gatheredChoices(
  events: AsyncIterable<ChoiceEvent>,
  options: GatheredChoicesOptions,
): Promise<{ choices: ChoiceResult[]; usage: GenerationUsage }> {
  const { moderator, perPrompt } = options;
  const texts = new Map<number, string>();
  const prompts = new Map<number, TokenLogprob[]>();
  const generated = new Map<number, TokenLogprob[]>();
  const candidates: Array<ChoiceResult & { score: number }> = [];
  const usages: Array<GenerationUsage & { index: number }> = [];
  const listOf = (lists: Map<number, TokenLogprob[]>, index: number): TokenLogprob[] => lists.get(index) ?? lists.set(index, []).get(index)!;
  for await (const event of events) {
    const index = event.index;
    if (event.type === "prompt") {
      listOf(prompts, index).push(...event.logprobs);
    } else if (event.type === "text") {
      texts.set(index, (texts.get(index) ?? "") + event.text);
      listOf(generated, index).push(...(event.logprobs ?? []));
    } else {
      const text = texts.get(index) ?? "";
      const verdict = await moderator.check(text, "output", options.moderated(index));
      const withheld = verdict !== undefined && moderator.blocks && isFlagged(verdict);
      const parser = options.parser();
      const pieces: ToolOutputEvent[] = withheld ? [] : parser ? [...parser.push(text), ...parser.flush()] : [{ type: "content", text }];
      const called = pieces.some((piece) => piece.type === "call");
      // the mean logprob of the generated tokens ranks best_of's candidates, withheld or not
      const values = listOf(generated, index).map((t) => t.logprob ?? 0);
      const finishReason = withheld ? "content_filter" : called ? "tool_calls" : event.finishReason;
      candidates.push({
        index,
        text: withheld ? "" : text,
        pieces,
        promptLogprobs: listOf(prompts, index),
        logprobs: withheld ? [] : listOf(generated, index),
        finishReason,
        ...(finishReason === "stop" && event.stopSequence !== undefined ? { stopSequence: event.stopSequence } : {}),
        verdict,
        timings: { queueMs: event.queueMs, promptMs: event.promptMs, generationMs: event.generationMs },
        score: values.length === 0 ? -Infinity : values.reduce((sum, v) => sum + v, 0) / values.length,
      });
      usages.push({ ...event.usage, index });
    }
  }
  const choices = bestChoices(candidates, perPrompt, options.keep).map(({ score: _score, ...choice }) => choice);
  return { choices, usage: choicesUsage(usages, perPrompt) };
}
