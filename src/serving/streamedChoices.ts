import type { GenerationUsage } from "../engine/types.js";
import type { OutputStream } from "../moderation/Moderator.js";
import type { ToolCallParser, ToolOutputEvent } from "../tools/ToolCallParser.js";
import { choicesUsage } from "./choicesUsage.js";
import type { ChoiceEvent } from "./generateChoices.js";
import type { ChoiceEnd, PipelineEvent } from "./pipelineTypes.js";
import { started } from "./started.js";

export interface StreamedChoicesOptions {
  /** Generations per prompt (for the usage). */
  perPrompt: number;
  /** Each choice's output moderation, by choice index. */
  outputs: readonly OutputStream[];
  /** What halts a choice's generation once its output is withheld, by choice index (none when nothing blocks). */
  halts: readonly AbortController[];
  /** A new tool-call parser for one choice, when the request has tools. */
  parser: () => ToolCallParser | undefined;
}

const callsIn = (pieces: readonly ToolOutputEvent[]): number => pieces.filter((piece) => piece.type === "call").length;

/**
 * A streamed request's choice events gated by the content filter: each text piece is moderated before it goes on;
 * the first one it withholds, and everything after it, is dropped and the choice's generation halted (its slot is
 * freed at once), and the choice ends as `content_filter`. Tool calls are split out of the text as it streams.
 * The first event is awaited before anything is yielded, so that a refusal is still thrown as a plain error.
 */
export async function* streamedChoices(source: AsyncIterable<ChoiceEvent>, options: StreamedChoicesOptions): AsyncGenerator<PipelineEvent, void, void> {
  const { perPrompt, outputs, halts } = options;
  const states = outputs.map(() => ({ parser: options.parser(), calls: 0 }));
  const generation = await started(source);
  for (const [index, output] of outputs.entries()) yield { type: "start", index, verdict: output.verdict };
  const usages: Array<GenerationUsage & { index: number }> = [];
  for await (const event of generation) {
    const { index } = event;
    const output = outputs[index]!;
    const state = states[index]!;
    if (event.type === "prompt") {
      yield { type: "prompt", index, logprobs: event.logprobs, verdict: output.verdict };
    } else if (event.type === "text") {
      if (output.withheld) continue;
      if (!(await output.push(event.text))) {
        halts[index]?.abort();
        continue;
      }
      const pieces: ToolOutputEvent[] = state.parser ? state.parser.push(event.text) : event.text === "" ? [] : [{ type: "content", text: event.text }];
      state.calls += callsIn(pieces);
      yield { type: "text", index, text: event.text, pieces, logprobs: event.logprobs ?? [], verdict: output.verdict };
    } else {
      // a moderation model judges the whole output once it is complete: it may still withhold the choice's end
      if (!output.withheld) await output.end();
      const pieces = state.parser && !output.withheld ? state.parser.flush() : [];
      state.calls += callsIn(pieces);
      usages.push({ ...event.usage, index });
      const finishReason: ChoiceEnd = output.withheld ? "content_filter" : state.calls > 0 ? "tool_calls" : event.finishReason;
      const stop = finishReason === "stop" && event.stopSequence !== undefined ? { stopSequence: event.stopSequence } : {};
      const timings = { queueMs: event.queueMs, promptMs: event.promptMs, generationMs: event.generationMs };
      yield { type: "done", index, pieces, finishReason, ...stop, verdict: output.verdict, usage: event.usage, timings };
    }
  }
  yield { type: "usage", usage: choicesUsage(usages, perPrompt) };
}
