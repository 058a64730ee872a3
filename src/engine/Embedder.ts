import os from "node:os";
import { basename } from "node:path";
import type { Llama, LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";
import { loadLlama } from "./loadLlama.js";
import { vocabularySize } from "./vocabularySize.js";

export interface EmbedderInfo {
  /** The GGUF's `general.name`, or the file name. */
  name: string;
  path: string;
  dimensions: number;
  /** Tokens an input may have. */
  contextSize: number;
  vocabularySize: number;
}

/**
 * Embeddings of one model through a context of its own (one sequence; inputs are computed one at a time). A
 * Llama-2 GGUF declares no pooling, so llama.cpp gives the last token's hidden state: the vector is that state
 * scaled to length 1, so that a dot product is the cosine similarity, as with OpenAI's embeddings.
 */
export class Embedder {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaEmbeddingContext,
    readonly info: EmbedderInfo,
    /** What dispose() also frees: the model and its Llama when this embedder loaded them. */
    private readonly owned: { llama: Llama } | undefined,
  ) {}

  /** Embeddings of a model already loaded (the served one); its weights are shared, only the context is new. */
  static async forModel(model: LlamaModel, path: string, options: { contextSize: number; threads: number }): Promise<Embedder> {
    const context = await model.createEmbeddingContext({ contextSize: options.contextSize, threads: options.threads });
    return new Embedder(model, context, info(model, path, options.contextSize), undefined);
  }

  /** Loads a GGUF for embeddings only (`--embedding-model`). */
  static async load(options: { modelPath: string; contextSize?: number; threads?: number }): Promise<Embedder> {
    const threads = options.threads ?? os.availableParallelism();
    const llama = await loadLlama(threads);
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath });
      const contextSize = options.contextSize ?? Math.min(model.trainContextSize, 4096);
      const context = await model.createEmbeddingContext({ contextSize, threads });
      return new Embedder(model, context, info(model, options.modelPath, contextSize), { llama });
    } catch (error) {
      await llama.dispose();
      throw error;
    }
  }

  /** Tokens of `text` (special-token text read as text). */
  tokenize(text: string): number[] {
    return this.model.tokenize(text, false);
  }

  /** How many tokens the input is evaluated as (BOS added when the model uses one). */
  inputLength(tokens: readonly number[]): number {
    return this.context.calculateInputLength([...tokens] as Token[]);
  }

  /** The unit-length embedding of `tokens`. */
  async embed(tokens: readonly number[]): Promise<number[]> {
    const { vector } = await this.context.getEmbeddingFor([...tokens] as Token[]);
    const norm = Math.hypot(...vector);
    return norm === 0 ? [...vector] : vector.map((value) => value / norm);
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    if (this.owned) {
      await this.model.dispose();
      await this.owned.llama.dispose();
    }
  }
}

function info(model: LlamaModel, path: string, contextSize: number): EmbedderInfo {
  return {
    name: model.fileInfo.metadata.general?.name ?? basename(path).replace(/\.gguf$/i, ""),
    path,
    dimensions: model.embeddingVectorSize,
    contextSize,
    vocabularySize: vocabularySize(model),
  };
}
