import type { GenerationTimings, GenerationUsage } from "../engine/types.js";
import type { OllamaChatChunk, OllamaDoneReason, OllamaGenerateChunk, OllamaMessage, OllamaStats, OllamaToolCall } from "../protocol/ollamaResponses.js";
import type { ToolOutputEvent } from "../tools/ToolCallParser.js";
import type { ChoiceEnd, ChoiceResult, PipelineEvent } from "./pipelineTypes.js";

/** What an Ollama answer says besides its text: the model as named, and the clocks its figures are read on. */
export interface OllamaRendering {
  model: string;
  /** When the request arrived (performance.now()): `total_duration` runs from there to the answer's last object. */
  arrivedAt: number;
  /** Milliseconds the request waited for its model to load (0 when it was loaded). */
  loadMs: number;
  now: () => number;
  /** RFC 3339 time of an object, its `created_at`. */
  createdAt: () => string;
}

/** A duration in Ollama's unit, nanoseconds. */
const ns = (ms: number): number => Math.max(0, Math.round(ms * 1e6));

/**
 * The figures of a finished generation. Everything is measured: the load wait where the request waited, the
 * prompt's evaluation (what the cache did not hold) and the generation by the scheduler (`GenerationTimings`), the
 * total from arrival to now. The total spans the others and the queue, one after the other, so it is never less
 * than their sum. `prompt_eval_count` is the whole prompt, as Ollama counts it.
 */
export function ollamaStats(rendering: OllamaRendering, usage: GenerationUsage, timings: GenerationTimings): OllamaStats {
  return {
    total_duration: ns(rendering.now() - rendering.arrivedAt),
    load_duration: ns(rendering.loadMs),
    prompt_eval_count: usage.promptTokens,
    prompt_eval_duration: ns(timings.promptMs),
    eval_count: usage.completionTokens,
    eval_duration: ns(timings.generationMs),
  };
}

/** Ollama ends a generation as "stop" or "length"; calls end it as "stop"; a withheld output says so. */
export function ollamaDoneReason(end: ChoiceEnd): OllamaDoneReason {
  return end === "tool_calls" ? "stop" : end;
}

/** Calls with their arguments as the JSON object Ollama gives (the parser only lets objects through). */
function toolCalls(pieces: readonly ToolOutputEvent[]): OllamaToolCall[] {
  return pieces.flatMap((piece) => (piece.type === "call" ? [{ function: { name: piece.call.name, arguments: JSON.parse(piece.call.arguments) as Record<string, unknown> } }] : []));
}

function message(content: string, calls: OllamaToolCall[]): OllamaMessage {
  return { role: "assistant", content, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
}

/**
 * A streamed chat's objects from the pipeline's events (one choice): one per content piece, one per call (its
 * arguments whole), then the last with `done: true`, why it ended and the figures.
 */
export async function* ollamaChatChunks(events: AsyncIterable<PipelineEvent>, rendering: OllamaRendering): AsyncGenerator<OllamaChatChunk, void, void> {
  const { model, createdAt } = rendering;
  function* pieces(list: readonly ToolOutputEvent[]): Generator<OllamaChatChunk, void, void> {
    for (const piece of list) {
      const body = piece.type === "content" ? message(piece.text, []) : message("", toolCalls([piece]));
      yield { model, created_at: createdAt(), message: body, done: false };
    }
  }
  for await (const event of events) {
    if (event.type === "text") yield* pieces(event.pieces);
    else if (event.type === "done") {
      yield* pieces(event.pieces);
      const stats = ollamaStats(rendering, event.usage, event.timings);
      yield { model, created_at: createdAt(), message: message("", []), done: true, done_reason: ollamaDoneReason(event.finishReason), ...stats };
    }
  }
}

/** A whole chat answer: the content, the calls, why it ended and the figures. */
export function ollamaChatResponse(choice: ChoiceResult, usage: GenerationUsage, rendering: OllamaRendering): OllamaChatChunk {
  const content = choice.pieces.flatMap((piece) => (piece.type === "content" ? [piece.text] : [])).join("");
  const stats = ollamaStats(rendering, usage, choice.timings);
  return { model: rendering.model, created_at: rendering.createdAt(), message: message(content, toolCalls(choice.pieces)), done: true, done_reason: ollamaDoneReason(choice.finishReason), ...stats };
}

/**
 * A streamed generate's objects: one per text piece, then the last with `done: true`, the figures and (when
 * `context` gives it) the conversation's token ids for the next request, from the whole text generated.
 */
export async function* ollamaGenerateChunks(
  events: AsyncIterable<PipelineEvent>,
  rendering: OllamaRendering,
  context: ((response: string) => number[]) | undefined,
): AsyncGenerator<OllamaGenerateChunk, void, void> {
  const { model, createdAt } = rendering;
  let text = "";
  for await (const event of events) {
    if (event.type === "text" && event.text !== "") {
      text += event.text;
      yield { model, created_at: createdAt(), response: event.text, done: false };
    } else if (event.type === "done") {
      const stats = ollamaStats(rendering, event.usage, event.timings);
      yield { model, created_at: createdAt(), response: "", done: true, done_reason: ollamaDoneReason(event.finishReason), ...(context ? { context: context(text) } : {}), ...stats };
    }
  }
}

/** A whole generate answer. */
export function ollamaGenerateResponse(choice: ChoiceResult, usage: GenerationUsage, rendering: OllamaRendering, context: ((response: string) => number[]) | undefined): OllamaGenerateChunk {
  const stats = ollamaStats(rendering, usage, choice.timings);
  return {
    model: rendering.model,
    created_at: rendering.createdAt(),
    response: choice.text,
    done: true,
    done_reason: ollamaDoneReason(choice.finishReason),
    ...(context ? { context: context(choice.text) } : {}),
    ...stats,
  };
}
