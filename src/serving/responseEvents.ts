import type { TokenLogprob } from "../engine/types.js";
import { ApiError } from "../errors/ApiError.js";
import { renderResponsesError, responseFailure } from "../protocol/renderResponsesError.js";
import {
  objectId,
  toDeltaLogprobs,
  toOutputLogprobs,
  toResponseUsage,
  type FunctionCallItem,
  type MessageItem,
  type OutputItem,
  type OutputText,
  type ResponseStreamEvent,
} from "../protocol/responseObjects.js";
import { toolCallId } from "../protocol/responses.js";
import type { ToolOutputEvent } from "../tools/ToolCallParser.js";
import { apiErrorOf } from "./apiErrorOf.js";
import type { ChoiceEnd, PipelineEvent } from "./pipelineTypes.js";
import { incompleteReason, responseObject, type ResponseRendering } from "./responseObject.js";

/**
 * A streamed Responses API answer from the pipeline's events (one choice), numbered from 0: `response.created` and
 * `response.in_progress` once the generation has started; the content as a message item (`output_item.added`,
 * `content_part.added`, `output_text.delta`s, then `output_text.done`, `content_part.done`, `output_item.done`),
 * each call as a function_call item (added, its arguments' delta and done, done), in the order the model wrote
 * them; a message even when the model wrote nothing, so that every answer has an output; then
 * `response.completed`, or `response.incomplete` when the tokens ran out or the content filter withheld the rest.
 * A failure after the start (the deadline, a shutdown) is an `error` event followed by `response.failed`; anything
 * not an API error is left to the server, which hides it.
 */
export async function* responseEvents(events: AsyncIterable<PipelineEvent>, rendering: ResponseRendering): AsyncGenerator<ResponseStreamEvent, void, void> {
  let sequence = 0;
  const output: OutputItem[] = [];
  /** The message item being written, its place in the output, and the logprobs its deltas carried. */
  let open: { item: MessageItem; index: number; logprobs: TokenLogprob[] } | undefined;
  /** Logprobs not yet sent: they go with the next text delta. */
  const held: TokenLogprob[] = [];
  let end: ChoiceEnd | undefined;

  function* openMessage(): Generator<ResponseStreamEvent> {
    const item: MessageItem = { id: objectId("msg"), type: "message", status: "in_progress", role: "assistant", content: [] };
    open = { item, index: output.length, logprobs: [] };
    output.push(item);
    yield { type: "response.output_item.added", output_index: open.index, item: structuredClone(item), sequence_number: sequence++ };
    const part: OutputText = { type: "output_text", text: "", annotations: [], logprobs: [] };
    item.content.push(part);
    yield { type: "response.content_part.added", item_id: item.id, output_index: open.index, content_index: 0, part: structuredClone(part), sequence_number: sequence++ };
  }
  function* closeMessage(status: "completed" | "incomplete"): Generator<ResponseStreamEvent> {
    if (!open) return;
    const { item, index } = open;
    const part = item.content[0]!;
    const logprobs = [...open.logprobs, ...(rendering.wantsLogprobs ? held.splice(0) : [])];
    part.logprobs = rendering.wantsLogprobs ? toOutputLogprobs(logprobs) : [];
    item.status = status;
    open = undefined;
    const location = { item_id: item.id, output_index: index, content_index: 0 };
    yield { type: "response.output_text.done", ...location, text: part.text, logprobs: rendering.wantsLogprobs ? toDeltaLogprobs(logprobs) : [], sequence_number: sequence++ };
    yield { type: "response.content_part.done", ...location, part: structuredClone(part), sequence_number: sequence++ };
    yield { type: "response.output_item.done", output_index: index, item: structuredClone(item), sequence_number: sequence++ };
  }
  function* pieces(list: readonly ToolOutputEvent[]): Generator<ResponseStreamEvent> {
    for (const piece of list) {
      if (piece.type === "content") {
        if (!open) yield* openMessage();
        const { item, index } = open!;
        const logprobs = held.splice(0);
        open!.logprobs.push(...logprobs);
        item.content[0]!.text += piece.text;
        yield { type: "response.output_text.delta", item_id: item.id, output_index: index, content_index: 0, delta: piece.text, logprobs: toDeltaLogprobs(logprobs), sequence_number: sequence++ };
        continue;
      }
      yield* closeMessage("completed");
      const call: FunctionCallItem = { id: objectId("fc"), type: "function_call", status: "in_progress", call_id: toolCallId(), name: piece.call.name, arguments: "" };
      const index = output.length;
      output.push(call);
      yield { type: "response.output_item.added", output_index: index, item: structuredClone(call), sequence_number: sequence++ };
      yield { type: "response.function_call_arguments.delta", item_id: call.id, output_index: index, delta: piece.call.arguments, sequence_number: sequence++ };
      yield { type: "response.function_call_arguments.done", item_id: call.id, output_index: index, name: call.name, arguments: piece.call.arguments, sequence_number: sequence++ };
      Object.assign(call, { arguments: piece.call.arguments, status: "completed" });
      yield { type: "response.output_item.done", output_index: index, item: structuredClone(call), sequence_number: sequence++ };
    }
  }

  let started = false;
  try {
    for await (const event of events) {
      if (event.type === "start") {
        started = true;
        const response = responseObject(rendering, { output: [] });
        yield { type: "response.created", response, sequence_number: sequence++ };
        yield { type: "response.in_progress", response, sequence_number: sequence++ };
      } else if (event.type === "text") {
        if (rendering.wantsLogprobs) held.push(...event.logprobs);
        yield* pieces(event.pieces);
      } else if (event.type === "done") {
        yield* pieces(event.pieces);
        end = event.finishReason;
        if (output.length === 0) yield* openMessage();
        yield* closeMessage(incompleteReason(end) ? "incomplete" : "completed");
      } else if (event.type === "usage") {
        const response = responseObject(rendering, { output: structuredClone(output), end, usage: toResponseUsage(event.usage) });
        yield { type: response.status === "completed" ? "response.completed" : "response.incomplete", response, sequence_number: sequence++ };
      }
    }
  } catch (thrown) {
    // before the start, a refusal (no slot, the queue full) is the route's plain error status
    const error = apiErrorOf(thrown);
    if (!started || !(error instanceof ApiError)) throw error;
    yield renderResponsesError(error, sequence++);
    yield { type: "response.failed", response: responseObject(rendering, { output: structuredClone(output), error: responseFailure(error) }), sequence_number: sequence++ };
  }
}
