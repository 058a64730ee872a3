/** numpy's argmax: the first index of the largest value. */
export function argmaxFirst(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Python's `len()` of a string: Unicode code points (not UTF-16 units, bytes or tokens). */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * `acc` and `acc_norm` of one multiple-choice document as the harness scores them (`MultipleChoiceTask`, AGIEval):
 * the choice with the highest summed log-likelihood, and the highest log-likelihood per character of the raw choice
 * text (without the leading space the request adds); ties go to the first. `gold` is the right index, or the
 * list of right indices (AGIEval).
 */
export function scoreChoices(
  loglikelihoods: readonly number[],
  choices: readonly string[],
  gold: number | readonly number[],
): { acc: number; acc_norm: number } {
  const right = (index: number): number => (typeof gold === "number" ? index === gold : gold.includes(index)) ? 1 : 0;
  const normalized = loglikelihoods.map((ll, i) => ll / codePointLength(choices[i]!));
  return { acc: right(argmaxFirst(loglikelihoods)), acc_norm: right(argmaxFirst(normalized)) };
}
