import type { LlamaContextSequence } from "node-llama-cpp";
import type { Job } from "./Job.js";
import type { JobOutput, Sampled } from "./JobOutput.js";
import { nextPhase, type SlotPhase } from "./nextPhase.js";
import type { SlotView } from "./pickSlot.js";
import type { ActiveSlot } from "./planStep.js";

/**
 * Events a request's consumer may leave unread before its decoding slots are backlogged (decoded only when nothing
 * else is). A client reading normally is at most a step or two behind; one that stopped reading has filled its
 * socket's buffers first (some hundred kB), so this is reached only once the server cannot deliver any more.
 */
const MAX_BACKLOG = 128;

/** A job on its slot. */
export interface Running {
  job: Job;
  admitted: number;
  /** Prompt tokens in the slot's KV cache so far. */
  evaluated: number;
  cachedTokens: number;
  queueMs: number;
  /** performance.now() at admission, at its first token and at its latest one; the gaps between its tokens. */
  admittedAt: number;
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
  interTokenMs: number[];
  output: JobOutput;
  tokens: AsyncIterator<Sampled> | undefined;
}

/** One of the scheduler's context sequences, and the job running on it. */
export class Slot {
  phase: SlotPhase = "idle";
  /** Admission clock of its last job (0 = never used). */
  lastUsed = 0;
  running: Running | undefined;
  /** An evaluation on it failed: its KV cells may not match its tokens, so it is cleared before it is used again. */
  tainted = false;

  constructor(
    readonly id: number,
    readonly sequence: LlamaContextSequence,
  ) {}

  /** The slot as `pickSlot` sees it: a tainted slot's cells are nobody's prefix. */
  view(): SlotView {
    return { phase: this.phase, cachedTokens: this.tainted ? [] : this.sequence.contextTokens, lastUsed: this.lastUsed };
  }

  /** Takes `job`, admitted at `admitted` on the admission clock; its prompt is placed next (`placeJob`). */
  admit(job: Job, output: JobOutput, admitted: number): void {
    this.phase = nextPhase(this.phase, "admit");
    this.lastUsed = admitted;
    const now = performance.now();
    this.running = {
      job,
      admitted,
      evaluated: 0,
      cachedTokens: 0,
      queueMs: now - job.submitted,
      admittedAt: now,
      firstTokenAt: undefined,
      lastTokenAt: undefined,
      interTokenMs: [],
      output,
      tokens: undefined,
    };
  }

  /** Frees the slot at once (no native call: safe after any fault); returns the job that ran on it. */
  free(): Running | undefined {
    const running = this.running;
    this.running = undefined;
    this.phase = "idle";
    return running;
  }

  /** A running slot as `planStep` sees it; backlogged only if `holdBacklog` (nobody waits for a slot). */
  planView(holdBacklog: boolean): ActiveSlot {
    const running = this.running!;
    return {
      id: this.id,
      phase: this.phase === "decode" ? "decode" : "prefill",
      remaining: running.job.prompt.length - running.evaluated,
      admitted: running.admitted,
      backlogged: holdBacklog && this.backlogged(),
    };
  }

  /** Decoding, for a request whose consumer is more than MAX_BACKLOG events behind. */
  backlogged(): boolean {
    return this.phase === "decode" && this.running !== undefined && this.running.job.events.backlog() > MAX_BACKLOG;
  }
}
