import { Embedder } from "../engine/Embedder.js";
import type { ModelCard } from "../protocol/models.js";
import { ListedModel } from "./ListedModel.js";
import { servedModelIds } from "./servedModelIds.js";

/** A model loaded for embeddings only (`--embedding-model`), as the API sees it: its embedder, names and card. */
export class EmbeddingModel extends ListedModel {
  constructor(
    readonly embedder: Embedder,
    ids: readonly [string, ...string[]],
    /** The served model's: `/models` lists both as loaded by the same start of the server. */
    created: number,
  ) {
    super(ids, created);
  }

  /** Loads the GGUF; it answers to the names a served GGUF would (its `general.name`, its file name). */
  static async load(options: { modelPath: string; threads?: number; created: number }): Promise<EmbeddingModel> {
    const embedder = await Embedder.load({ modelPath: options.modelPath, ...(options.threads !== undefined ? { threads: options.threads } : {}) });
    return new EmbeddingModel(embedder, servedModelIds({ name: embedder.info.name, path: options.modelPath }), options.created);
  }

  protected details(): Pick<ModelCard, "context_size" | "title" | "description"> {
    const info = this.embedder.info;
    return { context_size: info.contextSize, title: info.name, description: `embeddings: GGUF ${info.path} (${info.dimensions} dimensions)` };
  }

  dispose(): Promise<void> {
    return this.embedder.dispose();
  }
}
