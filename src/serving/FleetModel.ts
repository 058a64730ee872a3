import type { ModelOutline } from "../engine/inspectModel.js";
import type { ModelCard } from "../protocol/models.js";
import { ListedModel } from "./ListedModel.js";
import type { ServedModelOptions } from "./loadServedModel.js";
import type { ServedModel } from "./ServedModel.js";

export type ModelStatus = NonNullable<ModelCard["status"]>["value"];

/**
 * One model of a server that serves several, loaded or not: its names and card (known from its GGUF's header before
 * it loads), and its state, which `ModelFleet` moves: unloaded → loading → loaded → unloading → unloaded. While
 * loaded, `leases` counts the requests using it; the fleet never unloads a model with a lease.
 */
export class FleetModel extends ListedModel {
  status: ModelStatus = "unloaded";
  /** The loaded fraction of its weights while it loads. */
  progress = 0;
  served: ServedModel | undefined;
  leases = 0;
  /** When a request last took or gave back a lease (performance.now()). */
  lastUsed = 0;
  /** The load or unload under way: resolves (never rejects) when it ends, to its failure if it failed. */
  transition: Promise<Error | undefined> | undefined;
  /** An unload waiting for the model's last lease to end. */
  readonly idleWaiters: Array<() => void> = [];
  /** Why its last load failed, until one succeeds. */
  lastError: string | undefined;
  readonly counters = { loads: 0, unloads: 0, loadMs: 0 };
  /** The pending unload of an idle model (`--idle-unload`). */
  idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly options: ServedModelOptions,
    readonly outline: ModelOutline,
    ids: readonly [string, ...string[]],
    created: number,
  ) {
    super(ids, created);
  }

  override card(id: string = this.id): ModelCard {
    return { ...super.card(id), status: { value: this.status, ...(this.status === "loading" ? { progress: this.progress } : {}) } };
  }

  protected details(): Pick<ModelCard, "context_size" | "title" | "description"> {
    if (this.served) {
      const { context_size, title, description } = this.served.card();
      return { context_size, title, description };
    }
    return { context_size: this.outline.contextSize, title: this.outline.name, description: `GGUF ${this.outline.path} (not loaded)` };
  }
}
