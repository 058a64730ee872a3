/** An active slot as the step planner sees it. */
export interface ActiveSlot {
  id: number;
  phase: "prefill" | "decode";
  /** Prompt tokens still to evaluate (prefill only); the last one is evaluated together with the first sampling. */
  remaining: number;
  /** Admission order: lower came first. */
  admitted: number;
  /** Its consumer has stopped reading (a client that does not read its stream): it decodes only when nothing else does. */
  backlogged?: boolean;
}

/** One slot's share of a step: `tokens` prompt tokens, or one generated token (`decode`). */
export type StepItem =
  | { id: number; kind: "decode" }
  | { id: number; kind: "prefill"; tokens: number; final: boolean };

/**
 * What one decode step evaluates: one token for every decoding slot (so no stream ever waits for a prompt), plus
 * at most `chunk` prompt tokens, given to the prefilling slots in admission order (the oldest prompt finishes
 * first). A prompt whose rest fits is finished in this step together with its first sampling (`final`).
 * A backlogged slot, whose output nobody is reading, is left out of every step that has other work, so that a
 * client that stops reading costs the others nothing; it goes on when the others leave the engine idle.
 */
export function planStep(slots: readonly ActiveSlot[], chunk: number): StepItem[] {
  const plan: StepItem[] = [];
  for (const slot of slots) if (slot.phase === "decode" && !slot.backlogged) plan.push({ id: slot.id, kind: "decode" });
  let budget = chunk;
  const prefilling = slots.filter((slot) => slot.phase === "prefill").sort((a, b) => a.admitted - b.admitted);
  for (const slot of prefilling) {
    if (budget === 0) break;
    const tokens = Math.min(slot.remaining, budget);
    budget -= tokens;
    plan.push({ id: slot.id, kind: "prefill", tokens, final: tokens === slot.remaining });
  }
  if (plan.length > 0) return plan;
  return slots.flatMap((slot): StepItem[] => (slot.phase === "decode" ? [{ id: slot.id, kind: "decode" }] : []));
}
