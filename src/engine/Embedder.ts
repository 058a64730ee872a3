import os from "node:os";
import { basename } from "node:path";
import type { LlamaContextSequence, LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";
import { sharedLlama } from "./sharedLlama.js";
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

/** node-llama-cpp 3.22.1 internals the chunked evaluation needs (pinned; test/embeddings.test.ts guards them). */
interface EmbeddingContextInternals {
  _sequence: LlamaContextSequence;
  _llamaContext: { _ctx: { getEmbedding(inputTokensLength: number): Float64Array } };
  _prepareInput(tokens: Token[]): void;
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
    /** Whether it loaded its model itself (and disposes it), or uses another engine's. */
    private readonly ownsModel: boolean,
  ) {}

  /** Embeddings of a model already loaded (the served one); its weights are shared, only the context is new. */
  static async forModel(model: LlamaModel, path: string, options: { contextSize: number; threads: number }): Promise<Embedder> {
    const context = await model.createEmbeddingContext({ contextSize: options.contextSize, threads: options.threads });
    return new Embedder(model, context, info(model, path, options.contextSize), false);
  }

  /** Loads a GGUF for embeddings only (`--embedding-model`). */
  static async load(options: { modelPath: string; contextSize?: number; threads?: number }): Promise<Embedder> {
    const threads = options.threads ?? os.availableParallelism();
    const llama = await sharedLlama(threads);
    let loaded: LlamaModel | undefined;
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath });
      loaded = model;
      const contextSize = options.contextSize ?? Math.min(model.trainContextSize, 4096);
      const context = await model.createEmbeddingContext({ contextSize, threads });
      return new Embedder(model, context, info(model, options.modelPath, contextSize), true);
    } catch (error) {
      await loaded?.dispose();
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

  /** The tokens `tokens` is evaluated as: BOS (and EOS) added as the model asks. */
  inputTokens(tokens: readonly number[]): Token[] {
    const input = [...tokens] as Token[];
    this.internals()._prepareInput(input);
    return input;
  }

  /**
   * Evaluates `chunk`, the part of an input (`inputTokens`) from `start`, and returns the input's unit-length
   * embedding once `final` (its last chunk) has been evaluated. node-llama-cpp's `getEmbeddingFor` evaluates an
   * input in one go: with one libuv thread (UV_THREADPOOL_SIZE=1) a long input held every decode step of the
   * generations back for its whole length, so the scheduler evaluates it here a chunk per step instead. The
   * chunks share one sequence, and without pooling (a Llama GGUF declares none) the vector is the last token's
   * state, which attends to every earlier chunk's cells: the same as one evaluation. A model that pools over all
   * tokens (mean, CLS) must be given its input as one chunk (`chunkable` false).
   */
  async evaluate(chunk: readonly Token[], start: number, final: boolean): Promise<number[] | undefined> {
    const sequence = this.internals()._sequence;
    // all cells go, those of an earlier input whose evaluation failed half-way included
    if (start === 0) await sequence.clearHistory();
    if (!final) {
      await sequence.evaluateWithoutGeneratingNewTokens([...chunk]);
      return undefined;
    }
    // the last chunk is evaluated with an output on its last token, whose hidden state is the embedding
    for await (const token of sequence.evaluate([...chunk], { _noSampling: true } as object)) {
      void token;
      break;
    }
    const vector = Array.from(this.internals()._llamaContext._ctx.getEmbedding(start + chunk.length));
    const norm = Math.hypot(...vector);
    return norm === 0 ? vector : vector.map((value) => value / norm);
  }

  /** Whether an input may be evaluated in several chunks: only when the vector is the last token's state. */
  get chunkable(): boolean {
    const architecture = this.model.fileInfo.metadata.general?.architecture;
    const metadata = architecture === undefined ? undefined : (this.model.fileInfo.metadata as Record<string, { pooling_type?: number } | undefined>)[architecture];
    const pooling = metadata?.pooling_type ?? 0;
    return pooling === 0 || pooling === 3 || pooling === -1;
  }

  private internals(): EmbeddingContextInternals {
    return this.context as unknown as EmbeddingContextInternals;
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    if (this.ownsModel) await this.model.dispose();
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
