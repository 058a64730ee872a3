import { ContentFilterError } from "../errors/ApiError.js";
import { isFlagged, type ModerationVerdict } from "../moderation/ModerationVerdict.js";
import type { Moderator } from "../moderation/Moderator.js";
import { findings } from "../protocol/responses.js";

/**
 * Judges a request's prompts before anything is generated: their verdicts (undefined when moderation is off), or,
 * when the moderator blocks, a 400 `content_filter` naming the first flagged prompt.
 */
export async function moderatePrompts(
  moderator: Moderator,
  prompts: readonly string[],
  param: (index: number) => string,
): Promise<ModerationVerdict[] | undefined> {
  if (moderator.mode === "off") return undefined;
  const verdicts: ModerationVerdict[] = [];
  for (const [index, prompt] of prompts.entries()) {
    const verdict = (await moderator.check(prompt, "prompt"))!;
    if (moderator.blocks && isFlagged(verdict)) throw new ContentFilterError(param(index), findings(verdict));
    verdicts.push(verdict);
  }
  return verdicts;
}
