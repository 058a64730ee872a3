import { ContentFilterError } from "../errors/ApiError.js";
import { isFlagged } from "../moderation/ModerationVerdict.js";
import type { Moderator } from "../moderation/Moderator.js";
import { contentFilterResults, findings, type PromptFilterResults } from "../protocol/responses.js";

/**
 * Judges a request's prompts before anything is generated: Azure's `prompt_filter_results` (undefined when
 * moderation is off), or, when the moderator blocks, a 400 `content_filter` naming the first flagged prompt.
 */
export async function moderatePrompts(
  moderator: Moderator,
  prompts: readonly string[],
  param: (index: number) => string,
): Promise<PromptFilterResults | undefined> {
  if (moderator.mode === "off") return undefined;
  const results: PromptFilterResults = [];
  for (const [index, prompt] of prompts.entries()) {
    const verdict = (await moderator.check(prompt, "prompt"))!;
    if (moderator.blocks && isFlagged(verdict)) throw new ContentFilterError(param(index), findings(verdict));
    results.push({ prompt_index: index, content_filter_results: contentFilterResults(verdict, moderator.blocks) });
  }
  return results;
}
