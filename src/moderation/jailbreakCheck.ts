import vard from "@andersmyrmel/vard";
import type { ModerationCheck } from "./ModerationVerdict.js";

/**
 * The `vard` library's maintained rule set for prompt attacks (instruction overrides, role manipulation, fake
 * delimiters, system-prompt extraction, encoded payloads), plus the persona jailbreaks it does not cover.
 */
const rules = vard()
  .maxLength(Number.MAX_SAFE_INTEGER)
  // 0.8 keeps the attacks and drops the weakest rules ("act as a good team lead" scores 0.75)
  .threshold(0.8)
  .pattern(/\b(disregard|bypass|override)\b.{0,20}\b(your|the|all)\b.{0,20}\b(guidelines|instructions|rules|safety|filters)\b/is, 0.9, "instructionOverride")
  .pattern(/\b(your|the) (initial|original|hidden|system) (instructions|prompt)\b/i, 0.85, "systemPromptLeak")
  .pattern(/\b(DAN|STAN|DUDE|AIM)\b.{0,40}\b(do anything now|no (restrictions|rules|filters)|jailbr(oken|eak))/is, 0.9, "roleManipulation")
  .pattern(/\bdo anything now\b/i, 0.85, "roleManipulation")
  .pattern(/\b(developer|god|jailbreak|unfiltered) mode\b.{0,40}\b(enabled|on|activated)\b/is, 0.85, "roleManipulation");

/** Jailbreak attempts in prompts; a model's output is not a prompt attack, so outputs are not judged. */
export const jailbreakCheck = {
  name: "jailbreak",
  incremental: true,
  check: (text: string, source: "prompt" | "output") => ({ jailbreak: source === "prompt" && !rules.safeParse(text).safe }),
} satisfies ModerationCheck;
