import type { Engine, GroupMember } from "../engine/Engine.js";
import type { GenerationRequest, IndexedEvent } from "../engine/types.js";

/** An event of one choice; choice `index` = request index × n + j. Its `done` carries the ms it waited for a slot. */
export type ChoiceEvent = IndexedEvent;

/**
 * Runs `n` generations of each request as one engine request, admitted or refused as a whole before any runs,
 * and yields their events as they come. Choice j samples with the request's seed + j, so each choice is
 * independent and a seeded request is reproducible. A request's first choice is admitted at once and the others
 * once its prompt is in its slot, which they copy instead of computing it again. `halt(index)`, when it gives a
 * signal, lets the caller end one choice early (its generation finishes at the next step, with its usage).
 */
export function generateChoices(
  engine: Engine,
  requests: readonly GenerationRequest[],
  n: number,
  signal?: AbortSignal,
  halt: (index: number) => AbortSignal | undefined = () => undefined,
): AsyncGenerator<ChoiceEvent, void, void> {
  const members = requests.flatMap((request, r) =>
    Array.from({ length: n }, (_, j): GroupMember => {
      const stop = halt(r * n + j);
      return {
        request: { ...request, sampling: { ...request.sampling, seed: (request.sampling.seed + j) >>> 0 }, ...(stop ? { halt: stop } : {}) },
        ...(j > 0 ? { after: r * n } : {}),
      };
    }),
  );
  return engine.generateGroup(members, signal);
}
