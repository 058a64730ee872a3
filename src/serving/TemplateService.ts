import type { ApplyTemplateRequest, ApplyTemplateResponse } from "../protocol/applyTemplate.js";
import { toChatParams } from "../protocol/toGenerationParams.js";
import type { ModelFleet } from "./ModelFleet.js";
import { renderConversation } from "./renderConversation.js";
import { withApiErrors } from "./withApiErrors.js";

/**
 * A conversation's prompt as a model's template renders it (llama-server's `/apply-template`): the same mapping
 * and rendering a chat completion goes through, without the generation. The model is loaded for it when it is not.
 */
export class TemplateService {
  constructor(private readonly models: ModelFleet) {}

  apply(request: ApplyTemplateRequest, signal?: AbortSignal): Promise<ApplyTemplateResponse> {
    const name = request.model ?? this.models.models[0]!.id;
    return withApiErrors(
      this.models.using(name, signal, async (model) => {
        const params = toChatParams({ ...request, model: name }, model.engine.info.vocabularySize);
        return { prompt: renderConversation(model, params).text };
      }),
    );
  }
}
