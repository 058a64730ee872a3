import type { Moderator } from "../moderation/Moderator.js";
import { GenerationPipeline } from "./GenerationPipeline.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { PipelineSpec } from "./pipelineTypes.js";
import type { ServedModel } from "./ServedModel.js";
import { withApiErrors } from "./withApiErrors.js";

/**
 * An API surface over the generation pipeline (chat, text completions, and whatever comes next): it resolves the
 * model a request names (404), maps the request to the pipeline's prompts and renders what the pipeline gives back
 * into its own shapes. The engine's errors, thrown or streamed, become the API's here (`withApiErrors`).
 */
export abstract class GenerationSurface<Request extends { model: string }, Result> {
  constructor(
    protected readonly model: ServedModel,
    protected readonly moderator: Moderator,
  ) {}

  create(request: Request, signal?: AbortSignal, observer?: GenerationObserver): Promise<Result> {
    return withApiErrors(this.run(request, signal, observer));
  }

  /** The request's generations, once the surface has mapped it (its prompts are moderated here). */
  protected pipeline(spec: PipelineSpec): Promise<GenerationPipeline> {
    return GenerationPipeline.start(this.model.engine, this.moderator, spec);
  }

  /** Resolves the model, maps the request, runs it through `pipeline` and renders the result. */
  protected abstract run(request: Request, signal?: AbortSignal, observer?: GenerationObserver): Promise<Result>;
}
