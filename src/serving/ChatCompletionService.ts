import type { GenerationUsage, TokenLogprob } from "../engine/types.js";
import { isFlagged } from "../moderation/ModerationVerdict.js";
import type { Moderator, OutputStream } from "../moderation/Moderator.js";
import type { ChatCompletionRequest } from "../protocol/requests.js";
import {
  contentFilterResults,
  responseId,
  SYSTEM_FINGERPRINT,
  toChatLogprobs,
  toolCallId,
  toUsage,
  unixTime,
  type ChatCompletion,
  type ChatCompletionChunk,
  type PromptFilterResults,
  type ToolCallWire,
} from "../protocol/responses.js";
import { assertTextCanFit } from "../protocol/assertTextCanFit.js";
import { toChatParams } from "../protocol/toGenerationParams.js";
import { renderToolMessages } from "../templates/renderToolMessages.js";
import { ToolCallParser, type ToolOutputEvent } from "../tools/ToolCallParser.js";
import { TOOL_CALL_CLOSE } from "../tools/types.js";
import { choicesUsage } from "./choicesUsage.js";
import { generateChoices, type ChoiceEvent } from "./generateChoices.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import { moderatePrompts } from "./moderatePrompts.js";
import { observedChoices } from "./observedChoices.js";
import type { ServedModel } from "./ServedModel.js";
import { started } from "./started.js";
import { withApiErrors } from "./withApiErrors.js";
import { completionBudget } from "./completionBudget.js";
import { compileGeneration } from "./compileGeneration.js";

export type ChatResult =
  | { stream: false; response: ChatCompletion }
  | { stream: true; chunks: AsyncIterable<ChatCompletionChunk> };

type Head = { id: string; created: number; model: string };

/**
 * Chat completions, independent of HTTP: renders the messages with the model's template (tools described in it),
 * checks the context budget and moderates the prompt before anything is sent, runs the `n` choices, splits tool
 * calls out of their text, moderates each output, and returns either the whole response or its chunks.
 */
export class ChatCompletionService {
  constructor(
    private readonly model: ServedModel,
    private readonly moderator: Moderator,
  ) {}

  create(request: ChatCompletionRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<ChatResult> {
    return withApiErrors(this.run(request, signal, observer));
  }

  private async run(request: ChatCompletionRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<ChatResult> {
    this.model.resolve(request.model);
    const engine = this.model.engine;
    const params = toChatParams(request, engine.info.vocabularySize);
    const { sampling, structured } = compileGeneration(params);
    const template = this.model.template;
    // a template that renders tools itself gets them, and the calls and results, as they came; any other reads them
    // in our own format, written into its three roles
    const usesTools = params.tools.length > 0 || params.messages.some((m) => m.role === "tool" || m.toolCalls !== undefined);
    const prompt =
      template.renderWithTools && usesTools
        ? template.renderWithTools(params.messages, params.tools)
        : template.render(renderToolMessages(params.messages, params.tools));
    assertTextCanFit(prompt.text, engine.info.contextSize, engine.info.longestTokenChars, "messages");
    const promptTokens = engine.promptTokens(prompt.text, prompt.parseSpecial);
    const maxTokens = completionBudget(
      engine,
      promptTokens.length,
      params.maxTokens,
      params.maxTokens === undefined ? "messages" : request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens",
    );
    // the client's messages (tool results included), not the system's, are what the prompt moderation judges
    const promptText = params.messages.flatMap((m) => (m.role === "system" ? [] : [m.content])).join("\n");
    const moderator = this.moderator;
    const promptFilter = await moderatePrompts(moderator, [promptText], () => "messages");
    // a streamed choice whose output the content filter withholds is halted, so its slot is freed at once
    const halts = params.stream && moderator.blocks ? Array.from({ length: params.n }, () => new AbortController()) : [];
    const requests = [
      {
        promptTokens,
        maxTokens,
        sampling,
        // a structured output ends when its grammar is complete: the template's stop strings could cut it; a
        // single call (parallel_tool_calls false, legacy functions) ends the output where it ends
        stop: structured ? params.stop : [...prompt.stop, ...params.stop, ...(params.singleCall && params.toolNames ? [TOOL_CALL_CLOSE] : [])],
        ...(params.logprobs !== undefined ? { logprobs: params.logprobs } : {}),
        ...(structured ? { structured } : {}),
      },
    ];
    const events = observedChoices(generateChoices(engine, requests, params.n, signal, (index) => halts[index]?.signal), observer, requests, params.n, signal);
    const head = { id: responseId("chat"), created: unixTime(), model: request.model };
    const parser = (): ToolCallParser | undefined => (params.toolNames ? new ToolCallParser(params.toolNames, params.singleCall) : undefined);
    const legacy = params.legacyFunctions;
    const wantsLogprobs = params.logprobs !== undefined;
    if (params.stream) {
      const outputs = Array.from({ length: params.n }, () => moderator.stream(promptText));
      const options = { n: params.n, parser, legacy, wantsLogprobs, includeUsage: params.includeUsage, outputs, halts, promptFilter, blocking: moderator.blocks };
      return { stream: true, chunks: streamChunks(events, head, options) };
    }
    const texts = Array.from({ length: params.n }, () => "");
    const logprobs = Array.from({ length: params.n }, (): TokenLogprob[] => []);
    const choices: ChatCompletion["choices"] = [];
    const usages: Array<GenerationUsage & { index: number }> = [];
    for await (const event of events) {
      if (event.type === "text") {
        texts[event.index] += event.text;
        logprobs[event.index]!.push(...(event.logprobs ?? []));
      } else if (event.type === "done") {
        const text = texts[event.index]!;
        const verdict = await moderator.check(text, "output", promptText);
        const withheld = verdict !== undefined && moderator.blocks && isFlagged(verdict);
        const toolParser = parser();
        const outputs = withheld ? [] : toolParser ? [...toolParser.push(text), ...toolParser.flush()] : [{ type: "content" as const, text }];
        const content = outputs.flatMap((o) => (o.type === "content" ? [o.text] : [])).join("");
        const calls = outputs.flatMap((o): ToolCallWire[] => (o.type === "call" ? [{ id: toolCallId(), type: "function", function: o.call }] : []));
        choices.push({
          index: event.index,
          message: {
            role: "assistant",
            content: calls.length > 0 && content === "" ? null : content,
            refusal: null,
            ...(calls.length > 0 ? (legacy ? { function_call: calls[0]!.function } : { tool_calls: calls }) : {}),
          },
          logprobs: wantsLogprobs && !withheld ? toChatLogprobs(logprobs[event.index]!) : null,
          finish_reason: withheld ? "content_filter" : calls.length > 0 ? (legacy ? "function_call" : "tool_calls") : event.finishReason,
          content_filter_results: contentFilterResults(verdict, moderator.blocks),
        });
        usages.push({ ...event.usage, index: event.index });
      }
    }
    choices.sort((a, b) => a.index - b.index);
    return {
      stream: false,
      response: {
        id: head.id,
        object: "chat.completion",
        created: head.created,
        model: head.model,
        choices,
        ...(promptFilter ? { prompt_filter_results: promptFilter } : {}),
        usage: toUsage(choicesUsage(usages, params.n)),
        system_fingerprint: SYSTEM_FINGERPRINT,
      },
    };
  }
}


interface StreamOptions {
  n: number;
  parser: () => ToolCallParser | undefined;
  /** Calls in the deprecated form (`delta.function_call`, finish_reason "function_call"). */
  legacy: boolean;
  wantsLogprobs: boolean;
  includeUsage: boolean;
  /** Each choice's output moderation, and what halts its generation once it is withheld. */
  outputs: OutputStream[];
  halts: readonly AbortController[];
  promptFilter: PromptFilterResults | undefined;
  blocking: boolean;
}

async function* streamChunks(events: AsyncIterable<ChoiceEvent>, head: Head, options: StreamOptions): AsyncGenerator<ChatCompletionChunk, void, void> {
  const { n, parser, legacy, wantsLogprobs, includeUsage, outputs, halts, promptFilter, blocking } = options;
  type Choice = ChatCompletionChunk["choices"][number];
  const chunk = (
    index: number,
    delta: Choice["delta"],
    finishReason: Choice["finish_reason"],
    logprobs: Choice["logprobs"] = null,
    first = false,
  ): ChatCompletionChunk => ({
    id: head.id,
    object: "chat.completion.chunk",
    created: head.created,
    model: head.model,
    choices: [{ index, delta, logprobs, finish_reason: finishReason, content_filter_results: contentFilterResults(outputs[index]!.verdict, blocking) }],
    ...(first && promptFilter ? { prompt_filter_results: promptFilter } : {}),
    system_fingerprint: SYSTEM_FINGERPRINT,
    ...(includeUsage ? { usage: null } : {}),
  });
  const states = Array.from({ length: n }, () => ({ parser: parser(), calls: 0, logprobs: [] as TokenLogprob[] }));
  /** The chunks of one choice's output pieces; the logprobs held for that choice go with the first of them. */
  function* deltas(index: number, outputs: readonly ToolOutputEvent[]): Generator<ChatCompletionChunk, void, void> {
    const state = states[index]!;
    for (const output of outputs) {
      const logprobs = wantsLogprobs && state.logprobs.length > 0 ? toChatLogprobs(state.logprobs.splice(0)) : null;
      if (output.type === "content") {
        yield chunk(index, { content: output.text }, null, logprobs);
        continue;
      }
      const callIndex = state.calls++;
      if (legacy) {
        yield chunk(index, { function_call: { name: output.call.name, arguments: "" } }, null, logprobs);
        yield chunk(index, { function_call: { arguments: output.call.arguments } }, null);
        continue;
      }
      yield chunk(index, { tool_calls: [{ index: callIndex, id: toolCallId(), type: "function", function: { name: output.call.name, arguments: "" } }] }, null, logprobs);
      yield chunk(index, { tool_calls: [{ index: callIndex, function: { arguments: output.call.arguments } }] }, null);
    }
  }
  // the role deltas go out once the generation has a slot and its first token: a refusal is still a plain status
  const generation = await started(events);
  for (let index = 0; index < n; index++) yield chunk(index, { role: "assistant" }, null, null, index === 0);
  const usages: Array<GenerationUsage & { index: number }> = [];
  for await (const event of generation) {
    const state = states[event.index]!;
    const output = outputs[event.index]!;
    if (event.type === "text") {
      // a piece the content filter flags is not sent, nor anything after it
      if (output.withheld) continue;
      if (!(await output.push(event.text))) {
        halts[event.index]?.abort();
        continue;
      }
      state.logprobs.push(...(event.logprobs ?? []));
      yield* deltas(event.index, state.parser ? state.parser.push(event.text) : event.text === "" ? [] : [{ type: "content", text: event.text }]);
    } else if (event.type === "done") {
      if (!output.withheld) await output.end();
      if (state.parser && !output.withheld) yield* deltas(event.index, state.parser.flush());
      usages.push({ ...event.usage, index: event.index });
      const leftover = wantsLogprobs && state.logprobs.length > 0 ? toChatLogprobs(state.logprobs.splice(0)) : null;
      const called = legacy ? "function_call" : "tool_calls";
      yield chunk(event.index, {}, output.withheld ? "content_filter" : state.calls > 0 ? called : event.finishReason, leftover);
    }
  }
  if (includeUsage) {
    const usage = toUsage(choicesUsage(usages, n));
    yield { id: head.id, object: "chat.completion.chunk", created: head.created, model: head.model, choices: [], system_fingerprint: SYSTEM_FINGERPRINT, usage };
  }
}
