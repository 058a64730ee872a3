import type { ModerationVerdict } from "../moderation/ModerationVerdict.js";
import { toCompletionLogprobs, toUsage, type TextCompletion } from "../protocol/responses.js";
import type { PipelineEvent } from "./pipelineTypes.js";

type Choice = TextCompletion["choices"][number];

export interface CompletionRendering {
  /** A response body of these choices (the prompts' filter results with the `first`). */
  body: (choices: Choice[], usage: TextCompletion["usage"] | undefined, first: boolean) => TextCompletion;
  /** A choice of the body, with its output's verdict so far. */
  choice: (index: number, text: string, finishReason: Choice["finish_reason"], logprobs: Choice["logprobs"], verdict: ModerationVerdict | undefined) => Choice;
  /** Each choice's text starts with its prompt. */
  echo: boolean;
  /** What a choice's text starts with (its prompt, with `echo`; else ""). */
  echoOf: (index: number) => string;
  /** Each generated piece's logprobs are sent. */
  wantsLogprobs: boolean;
  /** The prompt's logprobs are sent (`echo` with `logprobs`): the echo goes out with them, once they are computed. */
  waitsForPrompt: boolean;
  includeUsage: boolean;
}

/**
 * A streamed text completion's chunks from the pipeline's events: each choice's echo once the generation has
 * started (or with its prompt's logprobs), its text pieces, its finish reason, then the usage chunk when asked for.
 * The prompts' filter results go with the first chunk.
 */
export async function* completionChunks(events: AsyncIterable<PipelineEvent>, rendering: CompletionRendering): AsyncGenerator<TextCompletion, void, void> {
  const { body, choice, echoOf, includeUsage } = rendering;
  let first = true;
  const chunk = (index: number, verdict: ModerationVerdict | undefined, text: string, finishReason: Choice["finish_reason"], logprobs: Choice["logprobs"] = null): TextCompletion => {
    const result = body([choice(index, text, finishReason, logprobs, verdict)], includeUsage ? null : undefined, first);
    first = false;
    return result;
  };
  for await (const event of events) {
    if (event.type === "start") {
      if (rendering.echo && !rendering.waitsForPrompt) yield chunk(event.index, event.verdict, echoOf(event.index), null);
    } else if (event.type === "prompt") {
      yield chunk(event.index, event.verdict, echoOf(event.index), null, toCompletionLogprobs(event.logprobs, 0));
    } else if (event.type === "text") {
      const logprobs = rendering.wantsLogprobs ? toCompletionLogprobs(event.logprobs, echoOf(event.index).length) : null;
      yield chunk(event.index, event.verdict, event.text, null, logprobs);
    } else if (event.type === "done") {
      // text completions split no tool calls: a choice ends as the engine or the content filter ended it
      yield chunk(event.index, event.verdict, "", event.finishReason as Choice["finish_reason"]);
    } else if (includeUsage) {
      yield body([], toUsage(event.usage), first);
    }
  }
}
