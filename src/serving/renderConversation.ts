import type { ChatParams } from "../protocol/toGenerationParams.js";
import type { RenderedPrompt } from "../templates/ChatTemplate.js";
import { renderToolMessages } from "../templates/renderToolMessages.js";
import type { ServedModel } from "./ServedModel.js";

/**
 * A conversation's prompt as the model's template renders it: a template that renders tools itself gets them, and
 * the calls and results, as they came; any other reads them in our own format, written into its three roles.
 */
export function renderConversation(model: ServedModel, params: Pick<ChatParams, "messages" | "tools">): RenderedPrompt {
  const template = model.template;
  const usesTools = params.tools.length > 0 || params.messages.some((m) => m.role === "tool" || m.toolCalls !== undefined);
  return template.renderWithTools && usesTools ? template.renderWithTools(params.messages, params.tools) : template.render(renderToolMessages(params.messages, params.tools));
}
