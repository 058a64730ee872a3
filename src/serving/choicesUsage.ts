import type { GenerationUsage } from "../engine/types.js";
import { sumUsage } from "../protocol/responses.js";

/**
 * The usage of a request's choices (choice index = prompt index × `perPrompt` + j): completion tokens of every
 * choice, a prompt's tokens (and its cached ones) once however many choices it had.
 */
export function choicesUsage(usages: ReadonlyArray<GenerationUsage & { index: number }>, perPrompt: number): GenerationUsage {
  return sumUsage(usages.map((u) => (u.index % perPrompt === 0 ? u : { ...u, promptTokens: 0, cachedTokens: 0 })));
}
