const WORDS = ["harbor", "lantern", "quiet", "orbit", "maple", "signal", "copper", "meadow", "granite", "delta", "fjord", "ember"];

/** Deterministic filler text of `words` words, different for every `seed`. */
export function fillerText(words: number, seed: number): string {
  return Array.from({ length: words }, (_, i) => WORDS[(i * 7 + seed * 5 + Math.floor(i / 12) * seed) % WORDS.length]).join(" ");
}
