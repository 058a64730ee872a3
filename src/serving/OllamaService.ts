import { InvalidRequestError } from "../errors/ApiError.js";
import type { Moderator } from "../moderation/Moderator.js";
import type { OllamaChatRequest, OllamaEmbedRequest, OllamaGenerateRequest } from "../protocol/ollama.js";
import type { OllamaChatChunk, OllamaEmbedResponse, OllamaGenerateChunk, OllamaLoaded, OllamaMessage } from "../protocol/ollamaResponses.js";
import { keepAliveUnloads, toOllamaChatParams, toOllamaGenerateParams } from "../protocol/toOllamaParams.js";
import type { RenderedPrompt } from "../templates/ChatTemplate.js";
import { GenerationSurface } from "./GenerationSurface.js";
import type { EmbeddingModel } from "./EmbeddingModel.js";
import { EmbeddingService } from "./EmbeddingService.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { ModelFleet } from "./ModelFleet.js";
import { ollamaModelName } from "./ollamaModelName.js";
import { ollamaChatChunks, ollamaChatResponse, ollamaGenerateChunks, ollamaGenerateResponse, type OllamaRendering } from "./ollamaChunks.js";
import { renderConversation } from "./renderConversation.js";
import type { ServedModel } from "./ServedModel.js";
import { withApiErrors } from "./withApiErrors.js";

/** When a request arrived (performance.now()), and whether its model was loaded then (its load wait is 0). */
interface Arrival {
  at: number;
  loaded: boolean;
}

/** A request of Ollama's chat or generate, on the model it names (resolved: see `name`). */
type OllamaRequest =
  | { kind: "chat"; model: string; body: OllamaChatRequest; arrival: Arrival }
  | { kind: "generate"; model: string; body: OllamaGenerateRequest; arrival: Arrival };

export type OllamaResult<Chunk> = { stream: false; response: Chunk } | { stream: true; chunks: AsyncIterable<Chunk> };

/**
 * Ollama's `/api/chat` and `/api/generate`, independent of HTTP, a surface over the generation pipeline: a chat is
 * mapped to a conversation (`toOllamaChatParams`) and runs as every chat dialect's does; a generate is the prompt as
 * a user turn, or, `raw`, the prompt as it is. The answers are rendered as Ollama's objects (`ollamaChunks.ts`), with
 * the figures measured. As with Ollama, a request with no messages (no prompt) only loads the model, or unloads
 * it with `keep_alive: 0`; a request with `keep_alive: 0` unloads its model once it is done.
 */
export class OllamaService extends GenerationSurface<OllamaRequest, OllamaResult<OllamaChatChunk | OllamaGenerateChunk>> {
  private readonly embeddings: EmbeddingService;

  constructor(
    models: ModelFleet,
    moderator: Moderator,
    /** The model loaded for embeddings only (`--embedding-model`), if any. */
    private readonly embeddingModel?: EmbeddingModel,
  ) {
    super(models, moderator);
    this.embeddings = new EmbeddingService(models, embeddingModel);
  }

  /**
   * `/api/embed`: the inputs' vectors from the embeddings service (the same as `/v1/embeddings`'), with the time the
   * request waited for its model to load (it is loaded first, when it is not) and the total; `keep_alive: 0`
   * unloads a served model afterwards, as for chat.
   */
  async embed(body: OllamaEmbedRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<OllamaEmbedResponse> {
    const model = this.name(body.model);
    const arrival = this.arrival(model);
    if (!arrival.loaded) await withApiErrors(this.models.load(model));
    const loadMs = arrival.loaded ? 0 : performance.now() - arrival.at;
    const request = { model, input: body.input, ...(body.dimensions != null ? { dimensions: body.dimensions } : {}) };
    const response = await this.embeddings.create(request, signal, observer);
    if (keepAliveUnloads(body.keep_alive) && this.models.models.some((m) => m.answersTo(model))) this.unloadSoon(model);
    return {
      model: body.model,
      embeddings: response.data.map((item) => item.embedding as number[]),
      total_duration: Math.round((performance.now() - arrival.at) * 1e6),
      load_duration: Math.round(loadMs * 1e6),
      prompt_eval_count: response.usage.prompt_tokens,
    };
  }

  async chat(body: OllamaChatRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<OllamaResult<OllamaChatChunk | OllamaLoaded<{ message: OllamaMessage }>>> {
    const model = this.name(body.model);
    const arrival = this.arrival(model);
    const unload = keepAliveUnloads(body.keep_alive);
    if ((body.messages ?? []).length === 0) {
      const reason = await this.loadOnly(model, unload);
      return { stream: false, response: { model: body.model, created_at: new Date().toISOString(), message: { role: "assistant", content: "" }, done: true, done_reason: reason } };
    }
    const result = await this.create({ kind: "chat", model, body, arrival }, signal, observer);
    return this.unloadingAfter(result as OllamaResult<OllamaChatChunk>, model, unload);
  }

  async generate(body: OllamaGenerateRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<OllamaResult<OllamaGenerateChunk | OllamaLoaded<{ response: string }>>> {
    const model = this.name(body.model);
    const arrival = this.arrival(model);
    const unload = keepAliveUnloads(body.keep_alive);
    if (!body.prompt) {
      const reason = await this.loadOnly(model, unload);
      return { stream: false, response: { model: body.model, created_at: new Date().toISOString(), response: "", done: true, done_reason: reason } };
    }
    const result = await this.create({ kind: "generate", model, body, arrival }, signal, observer);
    return this.unloadingAfter(result as OllamaResult<OllamaGenerateChunk>, model, unload);
  }

  protected async run(model: ServedModel, request: OllamaRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<OllamaResult<OllamaChatChunk | OllamaGenerateChunk>> {
    const { arrival } = request;
    const rendering: OllamaRendering = {
      model: request.body.model,
      arrivedAt: arrival.at,
      loadMs: arrival.loaded ? 0 : performance.now() - arrival.at,
      now: () => performance.now(),
      createdAt: () => new Date().toISOString(),
    };
    const engine = model.engine;
    if (request.kind === "chat") {
      const params = toOllamaChatParams(request.body, engine.info.contextSize);
      const { pipeline } = await this.conversation(model, params, { messages: "messages", maxTokens: "options.num_predict" }, signal, observer);
      if (params.stream) return { stream: true, chunks: ollamaChatChunks(pipeline.stream(), rendering) };
      const { choices, usage } = await pipeline.complete();
      return { stream: false, response: ollamaChatResponse(choices[0]!, usage, rendering) };
    }
    const { params, raw, context } = toOllamaGenerateParams(request.body, engine.info.contextSize);
    const prompt: RenderedPrompt = raw ? { text: request.body.prompt ?? "", stop: [], parseSpecial: true } : this.afterContext(model, context, renderConversation(model, params));
    const { pipeline } = await this.conversation(model, params, { messages: "prompt", maxTokens: "options.num_predict" }, signal, observer, prompt);
    // Ollama's `context`: the tokens of the prompt and the answer, to send back with the next prompt (not raw)
    const contextOf = raw ? undefined : (response: string) => engine.tokenize(prompt.text + response, prompt.parseSpecial);
    if (params.stream) return { stream: true, chunks: ollamaGenerateChunks(pipeline.stream(), rendering, contextOf) };
    const { choices, usage } = await pipeline.complete();
    return { stream: false, response: ollamaGenerateResponse(choices[0]!, usage, rendering, contextOf) };
  }

  /** A previous answer's `context` tokens, as text, before the rendered prompt (as Ollama puts them). */
  private afterContext(model: ServedModel, context: readonly number[], prompt: RenderedPrompt): RenderedPrompt {
    if (context.length === 0) return prompt;
    const vocabulary = model.engine.info.vocabularySize;
    if (context.some((token) => token >= vocabulary)) throw new InvalidRequestError("'context' holds a token id outside the vocabulary.", "context", "invalid_value");
    return { ...prompt, text: model.engine.detokenize(context, [], prompt.parseSpecial) + prompt.text };
  }

  /** The model a name stands for (`ollamaModelName`: without the `:latest` a client may add). */
  private name(name: string): string {
    return ollamaModelName(name, (n) => this.models.models.some((m) => m.answersTo(n)) || this.embeddingModel?.answersTo(n) === true);
  }

  /** Now, and whether the model `name` is loaded (the embedding model always is). */
  private arrival(name: string): Arrival {
    const model = this.models.models.find((m) => m.answersTo(name));
    return { at: performance.now(), loaded: model === undefined || model.status === "loaded" };
  }

  /** A request without messages: the model loaded (or, `keep_alive: 0`, unloaded), nothing generated. */
  private async loadOnly(name: string, unload: boolean): Promise<"load" | "unload"> {
    await withApiErrors(unload ? this.models.unload(name) : this.models.load(name));
    return unload ? "unload" : "load";
  }

  /** With `unload`, the model is unloaded once the answer is done: at once, or when its stream ends. */
  private unloadingAfter<Chunk>(result: OllamaResult<Chunk>, name: string, unload: boolean): OllamaResult<Chunk> {
    if (!unload) return result;
    if (!result.stream) {
      this.unloadSoon(name);
      return result;
    }
    const chunks = result.chunks;
    const unloadSoon = (): void => this.unloadSoon(name);
    return {
      stream: true,
      chunks: (async function* () {
        try {
          yield* chunks;
        } finally {
          unloadSoon();
        }
      })(),
    };
  }

  /** Unloads the model once its requests (this one's lease included) have ended; nobody waits for it. */
  private unloadSoon(name: string): void {
    void this.models.unload(name).catch(() => undefined);
  }
}
