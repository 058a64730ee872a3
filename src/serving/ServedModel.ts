import type { Engine } from "../engine/Engine.js";
import { ModelNotFoundError } from "../errors/ApiError.js";
import type { ModelCard } from "../protocol/models.js";
import type { ChatTemplate } from "../templates/ChatTemplate.js";

/** One loaded model as the API sees it: its engine, prompt format, and the names requests may use for it. */
export class ServedModel {
  readonly created = Math.floor(Date.now() / 1000);
  private readonly names: Set<string>;

  constructor(
    readonly engine: Engine,
    readonly template: ChatTemplate,
    /** The id `/models` lists first; then further names that requests may use. */
    readonly ids: readonly [string, ...string[]],
  ) {
    this.names = new Set(ids.map((id) => id.toLowerCase()));
  }

  get id(): string {
    return this.ids[0];
  }

  /** Throws 404 unless `name` is one of this model's names. */
  resolve(name: string): void {
    if (!this.names.has(name.toLowerCase())) throw new ModelNotFoundError(name);
  }

  card(id: string = this.id): ModelCard {
    const info = this.engine.info;
    return {
      id,
      object: "model",
      created: this.created,
      owned_by: "hermes-serve",
      context_size: info.contextSize,
      title: info.name,
      description: `${info.architecture} GGUF ${info.path} (${this.template.format} prompt format)`,
    };
  }
}
