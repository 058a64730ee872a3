/**
 * The readings of a value starting at a position: the positions where it can end, and the shortest text that
 * completes it when the text ends inside it (undefined: no reading reaches the end of the text).
 */
export interface Outcome {
  ends: Set<number>;
  suffix: string | undefined;
}

/** No reading (shared: never added to). */
export const NOTHING: Outcome = { ends: new Set<number>(), suffix: undefined };

/** Adds the readings of `from` to `to` (the shortest completion kept). */
export function merge(to: Outcome, from: Outcome): Outcome {
  for (const end of from.ends) to.ends.add(end);
  offer(to, from.suffix);
  return to;
}

/** Keeps `suffix` as `outcome`'s completion if it is the shortest yet. */
export function offer(outcome: Outcome, suffix: string | undefined): void {
  if (suffix !== undefined && (outcome.suffix === undefined || suffix.length < outcome.suffix.length)) outcome.suffix = suffix;
}

/**
 * The reading of one container (an object or array subschema at a position), carried from text to text while the
 * text grows by appending: its reading states, each taken once (a state only leads to states further in the text,
 * so the order they are taken in does not matter); the ends found by the states that settled (read without
 * reaching the end of the text: nothing appended can change what they found); and the open states, which did reach
 * it and are read again on the next text. So each text reads only what is new, not the whole container again.
 */
export class ContainerReading<S> {
  private readonly seen = new Set<string>();
  private readonly settledEnds = new Set<number>();
  private open: S[];
  /** The text (by its pass number) `outcome` is of. */
  private pass = -1;
  private outcome: Outcome = NOTHING;

  constructor(
    private readonly key: (state: S) => string,
    first: S,
  ) {
    this.seen.add(key(first));
    this.open = [first];
  }

  /** Whether some state reached the end of the text (so appended text can change the outcome). */
  get reachesEnd(): boolean {
    return this.open.length > 0;
  }

  /**
   * The outcome on the text of `pass`: the open states read by `step` (which records what a state finds, adds the
   * states it leads to, and says whether it reached the end of the text), and all they lead to. Read once per pass.
   */
  read(pass: number, step: (state: S, found: Outcome, add: (state: S) => void) => boolean): Outcome {
    if (pass === this.pass) return this.outcome;
    const outcome: Outcome = { ends: new Set(this.settledEnds), suffix: undefined };
    const pending = this.open;
    this.open = [];
    const add = (state: S): void => {
      const key = this.key(state);
      if (this.seen.has(key)) return;
      this.seen.add(key);
      pending.push(state);
    };
    for (let state = pending.pop(); state !== undefined; state = pending.pop()) {
      const found: Outcome = { ends: new Set(), suffix: undefined };
      if (step(state, found, add)) this.open.push(state);
      else for (const end of found.ends) this.settledEnds.add(end);
      merge(outcome, found);
    }
    this.pass = pass;
    this.outcome = outcome;
    return outcome;
  }
}
