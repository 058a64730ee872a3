import type { Engine } from "../engine/Engine.js";
import type { ModelCard } from "../protocol/models.js";
import type { ChatTemplate } from "../templates/ChatTemplate.js";
import { ListedModel } from "./ListedModel.js";

/** One loaded model as the API sees it: its engine, prompt format, and the names requests may use for it. */
export class ServedModel extends ListedModel {
  constructor(
    readonly engine: Engine,
    readonly template: ChatTemplate,
    ids: readonly [string, ...string[]],
    /** When the server began serving it (Unix seconds); default now. */
    created = Math.floor(Date.now() / 1000),
  ) {
    super(ids, created);
  }

  protected details(): Pick<ModelCard, "context_size" | "title" | "description"> {
    const info = this.engine.info;
    return {
      context_size: info.contextSize,
      title: info.name,
      description: `${info.architecture} GGUF ${info.path} (${this.template.format} prompt format)`,
    };
  }
}
