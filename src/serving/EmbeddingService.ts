import type { Embedder } from "../engine/Embedder.js";
import { ContextLengthExceededError, InvalidRequestError } from "../errors/ApiError.js";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { EmbeddingRequest, EmbeddingResponse } from "../protocol/embeddings.js";
import type { EmbeddingModel } from "./EmbeddingModel.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { ModelFleet } from "./ModelFleet.js";
import type { ServedModel } from "./ServedModel.js";
import { withApiErrors } from "./withApiErrors.js";

/**
 * Embeddings, independent of HTTP: from the model a request names, the separate embedding model or a served one.
 * Every input is checked (vocabulary, length) before any is computed; the vectors have length 1.
 */
export class EmbeddingService {
  constructor(
    private readonly models: ModelFleet,
    private readonly separate?: EmbeddingModel,
  ) {}

  /**
   * `signal` (the client's, joined with the request deadline) cancels the request wherever it is. The separate
   * embedding model's inputs are computed between the decode steps of the first served model (loaded for them).
   */
  create(request: EmbeddingRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<EmbeddingResponse> {
    const separate = this.separate?.answersTo(request.model) ? this.separate : undefined;
    const name = separate ? this.models.models[0]!.id : request.model;
    return withApiErrors(this.models.using(name, signal, async (served) => this.run(served, separate ? separate.embedder : await served.engine.embedder(), request, signal, observer)));
  }

  private async run(served: ServedModel, embedder: Embedder, request: EmbeddingRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<EmbeddingResponse> {
    const { dimensions, contextSize } = embedder.info;
    if (request.dimensions != null && request.dimensions !== dimensions) {
      throw new InvalidRequestError(`This model's embeddings have ${dimensions} dimensions; 'dimensions' cannot change that.`, "dimensions", "invalid_value");
    }
    const input = request.input;
    const items: Array<string | number[]> =
      typeof input === "string" ? [input] : input.every((item) => typeof item === "number") ? [input as number[]] : (input as Array<string | number[]>);
    const inputs: Array<{ tokens: number[]; length: number }> = [];
    for (const [index, item] of items.entries()) {
      // one input tokenized per turn of the event loop (each text is bounded: LIMITS.embeddingInputChars)
      if (index > 0 && typeof item === "string") await nextTurn();
      const tokens = typeof item === "string" ? embedder.tokenize(item) : item;
      const outside = tokens.findIndex((token) => token >= embedder.info.vocabularySize);
      if (outside !== -1) throw new InvalidRequestError(`Input ${index} holds the token id ${tokens[outside]}, outside the vocabulary.`, "input", "invalid_value");
      const length = embedder.inputLength(tokens);
      if (length >= contextSize) throw new ContextLengthExceededError(length, 0, contextSize, "input");
      inputs.push({ tokens, length });
    }
    const promptTokens = inputs.reduce((sum, { length }) => sum + length, 0);
    observer?.admit(promptTokens);
    let result: { vectors: number[][]; queueMs: number } | undefined;
    try {
      // computed between the served engine's decode steps, whichever model they are of: one thread runs them all
      result = await served.engine.embed(embedder, inputs.map(({ tokens }) => tokens), signal);
    } finally {
      // the inputs are computed together: one that fails or is cancelled part way is charged whole
      observer?.settle({
        usage: { promptTokens, completionTokens: 0, cachedTokens: 0 },
        finishReasons: [],
        ...(result ? { queueMs: result.queueMs } : {}),
      });
    }
    const vectors = result.vectors;
    const data: EmbeddingResponse["data"] = vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: request.encoding_format === "base64" ? base64(vector) : vector,
    }));
    return { object: "list", data, model: request.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
  }
}

/** OpenAI's base64 form: the float32 values, little-endian, base64-encoded. */
function base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString("base64");
}
