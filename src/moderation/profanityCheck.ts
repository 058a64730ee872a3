import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from "obscenity";
import type { ModerationCheck } from "./ModerationVerdict.js";

const matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });

/**
 * Profanity, with the `obscenity` library's maintained English lexicon and its transformers (leet speak, confusable
 * characters, repeated letters), which also keep words like "Scunthorpe" or "assassin" clean.
 */
export const profanityCheck = {
  name: "profanity",
  incremental: true,
  check: (text: string) => ({ profanity: matcher.hasMatch(text) }),
} satisfies ModerationCheck;
