/**
 * A slot's life: `idle` until a request is admitted, `prefill` while its prompt is evaluated (in chunks),
 * `decode` from its first generated token, and `idle` again when it finishes or is cancelled.
 */
export type SlotPhase = "idle" | "prefill" | "decode";

/** What happens to a slot: a request admitted to it, its first token sampled, or the request ended. */
export type SlotEvent = "admit" | "first-token" | "end";

const transitions: Record<SlotPhase, Partial<Record<SlotEvent, SlotPhase>>> = {
  idle: { admit: "prefill" },
  prefill: { "first-token": "decode", end: "idle" },
  decode: { end: "idle" },
};

/** The phase after `event`; throws on a transition the scheduler must never make (a bug, not bad input). */
export function nextPhase(phase: SlotPhase, event: SlotEvent): SlotPhase {
  const next = transitions[phase][event];
  if (next === undefined) throw new Error(`slot cannot go from ${phase} on ${event}`);
  return next;
}
