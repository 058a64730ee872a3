/** The harm categories a moderation model judges, as Azure's content filter names them. */
export const HARM_CATEGORIES = ["hate", "self_harm", "sexual", "violence"] as const;
export type HarmCategory = (typeof HARM_CATEGORIES)[number];

/** What the moderation step found in one text. */
export interface ModerationVerdict {
  profanity: boolean;
  /** An attempt to override the model's instructions (prompts only). */
  jailbreak: boolean;
  /** Present only when a moderation model judged the text. */
  categories?: Record<HarmCategory, boolean>;
}

export const CLEAN: ModerationVerdict = { profanity: false, jailbreak: false };

export function isFlagged(verdict: ModerationVerdict): boolean {
  return verdict.profanity || verdict.jailbreak || HARM_CATEGORIES.some((category) => verdict.categories?.[category] === true);
}

/** Everything either verdict found. */
export function mergeVerdicts(a: ModerationVerdict, b: Partial<ModerationVerdict>): ModerationVerdict {
  const categories = a.categories || b.categories ? Object.fromEntries(HARM_CATEGORIES.map((c) => [c, Boolean(a.categories?.[c] || b.categories?.[c])])) : undefined;
  return {
    profanity: a.profanity || Boolean(b.profanity),
    jailbreak: a.jailbreak || Boolean(b.jailbreak),
    ...(categories ? { categories: categories as Record<HarmCategory, boolean> } : {}),
  };
}

/** One detector of the moderation step. */
export interface ModerationCheck {
  readonly name: string;
  /** Cheap enough to run on every streamed piece (a lexicon, rules); a model runs once per whole text. */
  readonly incremental: boolean;
  /** Judges `text`, a prompt or a model's output (`context`: the prompt the output answers). */
  check(text: string, source: "prompt" | "output", context?: string): Promise<Partial<ModerationVerdict>> | Partial<ModerationVerdict>;
}
