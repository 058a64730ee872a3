import type { ModelCard } from "../protocol/models.js";

/**
 * What every model the server lists has in common, the served one and an embedding-only one: the names requests
 * may use for it (in any case) and its `/models` card.
 */
export abstract class ListedModel {
  private readonly names: Set<string>;

  constructor(
    /** The id `/models` lists first; then further names that requests may use. */
    readonly ids: readonly [string, ...string[]],
    /** When the server began serving it (Unix seconds). */
    readonly created: number,
  ) {
    this.names = new Set(ids.map((id) => id.toLowerCase()));
  }

  get id(): string {
    return this.ids[0];
  }

  answersTo(name: string): boolean {
    return this.names.has(name.toLowerCase());
  }

  /** The card under `id` (the name the client asked for, or the listed id). */
  card(id: string = this.id): ModelCard {
    return { id, object: "model", created: this.created, owned_by: "hermes-serve", ...this.details() };
  }

  /** What the card says of this model in particular. */
  protected abstract details(): Pick<ModelCard, "context_size" | "title" | "description">;
}
