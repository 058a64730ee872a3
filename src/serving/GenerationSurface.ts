import type { Moderator } from "../moderation/Moderator.js";
import { GenerationPipeline } from "./GenerationPipeline.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { PipelineSpec } from "./pipelineTypes.js";
import type { ModelFleet } from "./ModelFleet.js";
import type { ServedModel } from "./ServedModel.js";
import { withApiErrors } from "./withApiErrors.js";

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

  /** Maps the request for `model`, runs it through `pipeline` and renders the result. */
  protected abstract run(model: ServedModel, request: Request, signal?: AbortSignal, observer?: GenerationObserver): Promise<Result>;
}
