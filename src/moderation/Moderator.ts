import { CLEAN, isFlagged, mergeVerdicts, type ModerationCheck, type ModerationVerdict } from "./ModerationVerdict.js";

/** `off`: nothing is checked; `report`: results are reported; `block`: flagged prompts are refused, flagged output withheld. */
export type ModerationMode = "off" | "report" | "block";
export const moderationModes: readonly ModerationMode[] = ["off", "report", "block"];

/** How much of the text before a streamed piece is checked with it (a word split across pieces is still found). */
const STREAM_WINDOW = 64;

/**
 * The moderation step: a list of checks (lexicon, rules, optionally a moderation model) run on prompts and outputs.
 * The checks are pluggable; the mode decides what a flagged text does.
 */
export class Moderator {
  constructor(
    readonly mode: ModerationMode,
    private readonly checks: readonly ModerationCheck[],
  ) {}

  get blocks(): boolean {
    return this.mode === "block";
  }

  /** Every check on a whole text; undefined when moderation is off. */
  async check(text: string, source: "prompt" | "output", context?: string): Promise<ModerationVerdict | undefined> {
    if (this.mode === "off") return undefined;
    let verdict = CLEAN;
    for (const check of this.checks) verdict = mergeVerdicts(verdict, await check.check(text, source, context));
    return verdict;
  }

  /** Moderation of one output as it streams. */
  stream(prompt: string): OutputStream {
    return new OutputStream(this, this.checks, prompt);
  }
}

/**
 * One streamed output: each piece is checked, with the text just before it, by the incremental checks before it
 * is sent; at the end the whole text goes through the other checks (a moderation model).
 */
export class OutputStream {
  private text = "";
  private found: ModerationVerdict = CLEAN;

  constructor(
    private readonly moderator: Moderator,
    private readonly checks: readonly ModerationCheck[],
    private readonly prompt: string,
  ) {}

  /** What has been found so far (undefined when moderation is off). */
  get verdict(): ModerationVerdict | undefined {
    return this.moderator.mode === "off" ? undefined : this.found;
  }

  /** Whether the output must stop here: blocking, and flagged (then the piece is not to be sent). */
  get withheld(): boolean {
    return this.moderator.blocks && isFlagged(this.found);
  }

  /** Checks the next piece; returns false when it must not be sent. */
  async push(piece: string): Promise<boolean> {
    if (this.moderator.mode === "off") return true;
    const window = this.text.slice(-STREAM_WINDOW) + piece;
    this.text += piece;
    for (const check of this.checks) if (check.incremental) this.found = mergeVerdicts(this.found, await check.check(window, "output", this.prompt));
    return !this.withheld;
  }

  /** The checks that judge whole texts, once the output is complete. */
  async end(): Promise<void> {
    if (this.moderator.mode === "off") return;
    for (const check of this.checks) if (!check.incremental) this.found = mergeVerdicts(this.found, await check.check(this.text, "output", this.prompt));
  }
}
