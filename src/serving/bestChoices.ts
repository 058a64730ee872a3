/**
 * Each prompt's `keep` choices out of its `perPrompt` candidates (choice index = prompt index × perPrompt + j),
 * renumbered prompt index × keep + rank: all of them in index order when `keep` is `perPrompt`, else the best by
 * `score` (best_of).
 */
export function bestChoices<C extends { index: number; score: number }>(candidates: readonly C[], perPrompt: number, keep: number): C[] {
  const prompts = Math.ceil((Math.max(-1, ...candidates.map((c) => c.index)) + 1) / perPrompt);
  return Array.from({ length: prompts }, (_, p) =>
    candidates
      .filter((c) => Math.floor(c.index / perPrompt) === p)
      .sort((a, b) => (perPrompt > keep ? b.score - a.score : a.index - b.index))
      .slice(0, keep)
      .map((c, rank) => ({ ...c, index: p * keep + rank })),
  ).flat();
}
