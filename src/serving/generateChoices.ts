import type { Engine } from "../engine/Engine.js";
import type { GenerationEvent, GenerationRequest } from "../engine/types.js";
import { mergeStreams } from "./mergeStreams.js";

/** An event of one choice; choice `index` = request index × n + j. */
export type ChoiceEvent = GenerationEvent & { index: number };

/**
 * Runs `n` generations of each request and interleaves their events as they come. Choice j samples with the
 * request's seed + j, so each choice is independent and a seeded request is reproducible. A request's first choice
 * starts at once and the others once it has produced its first event: by then its slot holds the prompt, which
 * the others copy instead of computing it again. `halt(index)`, when it gives a signal, lets the caller end one
 * choice early (its generation finishes at the next step, with its usage).
 */
export function generateChoices(
  engine: Engine,
  requests: readonly GenerationRequest[],
  n: number,
  signal?: AbortSignal,
  halt: (index: number) => AbortSignal | undefined = () => undefined,
): AsyncGenerator<ChoiceEvent, void, void> {
  const streams: Array<AsyncIterable<ChoiceEvent>> = [];
  for (const [r, request] of requests.entries()) {
    const choice = (j: number): GenerationRequest => {
      const stop = halt(r * n + j);
      return { ...request, sampling: { ...request.sampling, seed: (request.sampling.seed + j) >>> 0 }, ...(stop ? { halt: stop } : {}) };
    };
    let leaderStarted = false;
    let release!: () => void;
    const ready = new Promise<void>((resolve) => (release = resolve));
    streams.push(
      tagged(engine.generate(choice(0), signal), r * n, () => {
        leaderStarted = true;
        release();
      }, release),
    );
    for (let j = 1; j < n; j++) {
      streams.push(
        (async function* () {
          await ready;
          if (leaderStarted) yield* tagged(engine.generate(choice(j), signal), r * n + j);
        })(),
      );
    }
  }
  return mergeStreams(streams);
}

async function* tagged(
  events: AsyncIterable<GenerationEvent>,
  index: number,
  onEvent: () => void = () => {},
  onEnd: () => void = () => {},
): AsyncGenerator<ChoiceEvent, void, void> {
  try {
    for await (const event of events) {
      onEvent();
      yield { ...event, index };
    }
  } finally {
    onEnd();
  }
}
