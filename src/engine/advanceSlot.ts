import { AbortedError, EngineFailureError, type EngineError } from "./engineErrors.js";
import type { Sampled } from "./JobOutput.js";
import { nextPhase } from "./nextPhase.js";
import type { StepItem } from "./planStep.js";
import type { Slot } from "./Slot.js";
import type { FinishReason, SchedulerCounters } from "./types.js";

/** How a slot's job ends: finished, or failed with an error. */
export type SlotOutcome = FinishReason | EngineError;

/**
 * Runs one slot's share of a step: a chunk of its prompt (scored, with prompt logprobs), its prompt's rest together
 * with the first sampling, or one sampling; the sampled token goes to the job's output. Returns how the job ends,
 * when it does. Never throws: a failure is the outcome, and ends that slot's job only.
 */
export async function advanceSlot(slot: Slot, item: StepItem, counters: SchedulerCounters): Promise<SlotOutcome | undefined> {
  const running = slot.running!;
  const { job, output } = running;
  try {
    if (item.kind === "prefill") {
      let chunk = job.prompt.slice(running.evaluated, running.evaluated + item.tokens);
      if (job.promptLogprobs !== undefined) {
        // every position scored but the last one, whose output is the first sampling's (when there is one)
        const scored = item.final && job.maxTokens > 0 ? chunk.slice(0, -1) : chunk;
        if (scored.length > 0) await output.scorePrompt(slot.sequence, running.evaluated, scored);
        running.evaluated += scored.length;
        chunk = chunk.slice(scored.length);
        if (item.final) job.events.push({ type: "prompt", logprobs: output.promptLogprobs() });
        if (item.final && job.maxTokens === 0) return "length";
        if (!item.final) return undefined;
      } else if (!item.final) {
        await slot.sequence.evaluateWithoutGeneratingNewTokens(chunk);
        running.evaluated += chunk.length;
        return undefined;
      }
      const metadata = { confidence: job.logprobs !== undefined, probabilities: (job.logprobs ?? 0) > 0 };
      const tokens: AsyncIterable<Sampled> = slot.sequence.evaluateWithMetadata(chunk, metadata, job.options(output.generated));
      running.tokens = tokens[Symbol.asyncIterator]();
      running.evaluated += chunk.length;
    }
    const next = await running.tokens!.next();
    if (slot.phase === "prefill") slot.phase = nextPhase(slot.phase, "first-token");
    if (!next.done) {
      counters.generatedTokens++;
      const now = performance.now();
      if (running.lastTokenAt === undefined) running.firstTokenAt = now;
      else running.interTokenMs.push(now - running.lastTokenAt);
      running.lastTokenAt = now;
    }
    return next.done ? "length" : output.accept(next.value);
  } catch (error) {
    return error instanceof AbortedError ? error : new EngineFailureError(error);
  }
}
