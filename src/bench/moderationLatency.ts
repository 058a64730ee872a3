import { Engine } from "../engine/Engine.js";
import { GuardClassifier } from "../moderation/GuardClassifier.js";
import { jailbreakCheck } from "../moderation/jailbreakCheck.js";
import { Moderator } from "../moderation/Moderator.js";
import { profanityCheck } from "../moderation/profanityCheck.js";
import { percentile } from "./percentile.js";

const WORDS = ["the", "river", "carried", "a", "small", "boat", "past", "old", "mill", "while", "children", "watched", "from", "bridge"];
const text = (words: number, seed: number): string => Array.from({ length: words }, (_, i) => WORDS[(i * 5 + seed * 3) % WORDS.length]).join(" ");

/**
 * What moderation adds to a request, in ms (medians): the lexicon and the rules on a ~500-token prompt, on one
 * streamed piece (with the text before it), and, when `modelPath` is given, that model as the moderation model
 * judging a ~100-token prompt.
 */
export async function moderationLatency(runs: number, modelPath?: string, threads?: number): Promise<{ promptMs: number; pieceMs: number; classifierMs?: number }> {
  const moderator = new Moderator("report", [profanityCheck, jailbreakCheck]);
  const prompts: number[] = [];
  const pieces: number[] = [];
  for (let run = 0; run < Math.max(runs, 20); run++) {
    const prompt = text(400, run);
    let started = performance.now();
    await moderator.check(prompt, "prompt");
    prompts.push(performance.now() - started);
    const stream = moderator.stream(prompt);
    await stream.push(text(60, run));
    started = performance.now();
    await stream.push(" watched");
    pieces.push(performance.now() - started);
  }
  const result: { promptMs: number; pieceMs: number; classifierMs?: number } = { promptMs: percentile(prompts, 50), pieceMs: percentile(pieces, 50) };
  if (modelPath === undefined) return result;
  const engine = await Engine.load({ modelPath, parallel: 1, contextSize: 1024, ...(threads !== undefined ? { threads } : {}) });
  try {
    const classifier = new GuardClassifier(engine);
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      await classifier.check(`${text(75, run)} run ${run}`, "prompt");
      times.push(performance.now() - started);
    }
    result.classifierMs = percentile(times, 50);
  } finally {
    await engine.dispose();
  }
  return result;
}
