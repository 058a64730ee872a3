/**
 * Cuts generated text at the first stop string, across piece boundaries. Text that could still become a stop
 * string is held back until it is known not to be one, so a stop string never reaches the client.
 */
export class StopMatcher {
  private held = "";
  private readonly longest: number;

  constructor(private readonly stops: readonly string[]) {
    this.longest = stops.reduce((max, s) => Math.max(max, s.length), 0);
  }

  /**
   * Feeds a piece; returns the text that is safe to emit and whether a stop string was found (`stop`: which one, for
   * APIs that report it, such as Anthropic's `stop_sequence`).
   */
  push(piece: string): { text: string; stopped: boolean; stop?: string } {
    const buffer = this.held + piece;
    let cut = -1;
    let found: string | undefined;
    for (const stop of this.stops) {
      const at = stop.length > 0 ? buffer.indexOf(stop) : -1;
      if (at !== -1 && (cut === -1 || at < cut)) {
        cut = at;
        found = stop;
      }
    }
    if (found !== undefined) {
      this.held = "";
      return { text: buffer.slice(0, cut), stopped: true, stop: found };
    }
    const keep = this.partialSuffixLength(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** The held-back text, once generation has ended without a stop string. */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }

  /** Length of the longest suffix of `buffer` that is a proper prefix of a stop string. */
  private partialSuffixLength(buffer: string): number {
    for (let length = Math.min(this.longest - 1, buffer.length); length > 0; length--) {
      const suffix = buffer.slice(buffer.length - length);
      if (this.stops.some((stop) => stop.startsWith(suffix))) return length;
    }
    return 0;
  }
}
