import type { HarmCategory } from "./ModerationVerdict.js";

/** Which of Azure's categories each Llama Guard 3 code counts for (the other codes are no category of the content filter). */
const CATEGORY_OF: Readonly<Record<number, HarmCategory>> = { 1: "violence", 3: "sexual", 4: "sexual", 9: "violence", 10: "hate", 11: "self_harm", 12: "sexual" };

/** A Llama Guard answer ("safe", or "unsafe" and a line of codes such as "S1,S10") as the four categories. */
export function guardCategories(answer: string): Record<HarmCategory, boolean> {
  const categories = { hate: false, self_harm: false, sexual: false, violence: false };
  if (!answer.startsWith("unsafe")) return categories;
  for (const [, code] of answer.matchAll(/S(\d+)/g)) {
    const category = CATEGORY_OF[Number(code)];
    if (category) categories[category] = true;
  }
  return categories;
}
