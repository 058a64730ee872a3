import type { Moderator } from "../moderation/Moderator.js";
import { assertTextCanFit } from "../protocol/assertTextCanFit.js";
import type { ChatParams } from "../protocol/toGenerationParams.js";
import type { RenderedPrompt } from "../templates/ChatTemplate.js";
import { TOOL_CALL_CLOSE } from "../tools/types.js";
import { compileGeneration } from "./compileGeneration.js";
import { completionBudget } from "./completionBudget.js";
import { GenerationPipeline } from "./GenerationPipeline.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { PipelineSpec } from "./pipelineTypes.js";
import type { ModelFleet } from "./ModelFleet.js";
import type { ServedModel } from "./ServedModel.js";
import { renderConversation } from "./renderConversation.js";
import { withApiErrors } from "./withApiErrors.js";

/** Where a conversation's 400s point in the dialect's request: its messages, and its completion length. */
export interface ConversationParams {
  messages: string;
  maxTokens: string;
}

/**
 * An API surface over the generation pipeline (chat, text completions, and whatever comes next): it takes the
 * model a request names from the fleet (404, or a wait while it loads), maps the request to the pipeline's prompts
 * and renders what the pipeline gives back into its own shapes. The engine's errors, thrown or streamed, become the API's here (`withApiErrors`).
 */
export abstract class GenerationSurface<Request extends { model: string }, Result> {
  constructor(
    protected readonly models: ModelFleet,
    protected readonly moderator: Moderator,
  ) {}

  /** Runs the request on the model it names, loaded for it and kept loaded until its answer (or stream) ends. */
  create(request: Request, signal?: AbortSignal, observer?: GenerationObserver): Promise<Result> {
    return withApiErrors(this.models.using(request.model, signal, (model) => this.run(model, request, signal, observer)));
  }

  /** The request's generations on `model`, once the surface has mapped it (its prompts are moderated here). */
  protected pipeline(model: ServedModel, spec: PipelineSpec): Promise<GenerationPipeline> {
    return GenerationPipeline.start(model.engine, this.moderator, spec);
  }

  /**
   * A conversation (any chat dialect's request, mapped to `ChatParams`) on `model`: its output grammar compiled,
   * rendered with the model's template (tools described in it), its length checked against the context (without
   * tokenizing a text that cannot fit) and its completion budget found, all before anything is sent; then its
   * generations, the prompt moderated, its tool calls split out of the output (`param` names where the 400s point).
   * `promptTokens`: the rendered prompt's tokens (its text is `renderConversation`'s, unless the dialect gives the
   * prompt itself: `prompt`, e.g. one sent raw).
   */
  protected async conversation(
    model: ServedModel,
    params: ChatParams,
    param: ConversationParams,
    signal?: AbortSignal,
    observer?: GenerationObserver,
    prompt: RenderedPrompt = renderConversation(model, params),
  ): Promise<{ pipeline: GenerationPipeline; promptTokens: number }> {
    const engine = model.engine;
    const { sampling, structured } = compileGeneration(params);
    const { tokens: promptTokens } = this.tokenizedConversation(model, params, param.messages, prompt);
    const maxTokens = completionBudget(engine, promptTokens.length, params.maxTokens, params.maxTokens === undefined ? param.messages : param.maxTokens);
    // the client's messages (tool results included), not the system's, are what the prompt moderation judges
    const moderated = params.messages.flatMap((m) => (m.role === "system" ? [] : [m.content])).join("\n");
    const generation = {
      promptTokens,
      maxTokens,
      sampling,
      // a structured output ends when its grammar is complete: the template's stop strings could cut it; a
      // single call (parallel_tool_calls false, legacy functions) ends the output where it ends
      stop: structured ? params.stop : [...prompt.stop, ...params.stop, ...(params.singleCall && params.toolNames ? [TOOL_CALL_CLOSE] : [])],
      ...(params.logprobs !== undefined ? { logprobs: params.logprobs } : {}),
      ...(structured ? { structured } : {}),
    };
    const pipeline = await this.pipeline(model, {
      prompts: [{ request: generation, moderated, param: param.messages }],
      perPrompt: params.n,
      toolCalls: params.toolNames ? { names: params.toolNames, single: params.singleCall } : undefined,
      signal,
      observer,
    });
    return { pipeline, promptTokens: promptTokens.length };
  }

  /**
   * A conversation rendered with the model's template (tools described in it) and tokenized; a text that cannot fit
   * the context is refused (400 at `messagesParam`) before it is tokenized.
   */
  protected tokenizedConversation(
    model: ServedModel,
    params: Pick<ChatParams, "messages" | "tools">,
    messagesParam: string,
    prompt: RenderedPrompt = renderConversation(model, params),
  ): { prompt: RenderedPrompt; tokens: number[] } {
    const engine = model.engine;
    assertTextCanFit(prompt.text, engine.info.contextSize, engine.info.longestTokenChars, messagesParam);
    return { prompt, tokens: engine.promptTokens(prompt.text, prompt.parseSpecial) };
  }

  /** Maps the request for `model`, runs it through `pipeline` and renders the result. */
  protected abstract run(model: ServedModel, request: Request, signal?: AbortSignal, observer?: GenerationObserver): Promise<Result>;
}
