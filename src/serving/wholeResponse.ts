import type { GenerationUsage } from "../engine/types.js";
import { objectId, toOutputLogprobs, toResponseUsage, type OutputItem, type ResponseObject } from "../protocol/responseObjects.js";
import { toolCallId } from "../protocol/responses.js";
import type { ChoiceResult } from "./pipelineTypes.js";
import { incompleteReason, responseObject, type ResponseRendering } from "./responseObject.js";

/**
 * A whole response from the pipeline's choice: the content runs as message items and each call as a function_call
 * item, in the order the model wrote them (a message even when it wrote nothing); a message that ends an
 * incomplete response is incomplete; the logprobs go with the first message.
 */
export function wholeResponse(result: ChoiceResult, usage: GenerationUsage, rendering: ResponseRendering): ResponseObject {
  const output: OutputItem[] = [];
  for (const piece of result.pieces) {
    const last = output.at(-1);
    if (piece.type === "call") output.push({ id: objectId("fc"), type: "function_call", status: "completed", call_id: toolCallId(), name: piece.call.name, arguments: piece.call.arguments });
    else if (last?.type === "message") last.content[0]!.text += piece.text;
    else output.push({ id: objectId("msg"), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: piece.text, annotations: [], logprobs: [] }] });
  }
  if (output.length === 0) output.push({ id: objectId("msg"), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "", annotations: [], logprobs: [] }] });
  const first = output.find((item) => item.type === "message");
  if (first && rendering.wantsLogprobs) first.content[0]!.logprobs = toOutputLogprobs(result.logprobs);
  const last = output.at(-1)!;
  if (incompleteReason(result.finishReason) && last.type === "message") last.status = "incomplete";
  return responseObject(rendering, { output, end: result.finishReason, usage: toResponseUsage(usage) });
}
