import { Engine } from "../engine/Engine.js";
import { GuardClassifier } from "../moderation/GuardClassifier.js";
import { jailbreakCheck } from "../moderation/jailbreakCheck.js";
import { Moderator, type ModerationMode } from "../moderation/Moderator.js";
import { profanityCheck } from "../moderation/profanityCheck.js";
import { gracefulShutdown } from "../server/gracefulShutdown.js";
import { startServer, type ServerOptions } from "../server/startServer.js";
import { EmbeddingModel } from "../serving/EmbeddingModel.js";
import type { ServedModelOptions } from "../serving/loadServedModel.js";
import { ModelFleet, type ModelFleetOptions } from "../serving/ModelFleet.js";
import type { ServedModel } from "../serving/ServedModel.js";

export interface HermesOptions {
  /**
   * The served GGUFs and how each runs (`--model`, `--parallel`, `--ctx-size`, `--threads`, the queue, ...): the
   * first is loaded at start, the others when a request names them.
   */
  models: ServedModelOptions[];
  /** How many may be loaded at once (`--models-max`), when an idle one is unloaded (`--idle-unload`), the memory seam. */
  fleet?: Omit<ModelFleetOptions, "models">;
  /** A GGUF served for embeddings only (`--embedding-model`). */
  embeddingModelPath?: string;
  /** `--moderation` (default report) and `--moderation-model`. */
  moderation?: { mode: ModerationMode; modelPath?: string };
  /** Where the server listens and what its HTTP edge does (keys, CORS, TLS, access log, request timeout). */
  server: Omit<ServerOptions, "models" | "moderator" | "embeddingModel" | "isDraining">;
  /** Called once the server listens, before the models load (`/health` answers 503 "loading" until they have). */
  onListening?: (url: string) => void;
}

/** A running `hermes serve`: its models loaded, its server listening. */
export interface Hermes {
  url: string;
  /** The models served. */
  models: ModelFleet;
  /** The first of them, as loaded at start (it may be unloaded later, to make room or when idle). */
  model: ServedModel;
  /**
   * The graceful shutdown: new requests get 503, the running ones have `graceMs` to finish before they are ended,
   * then the connections close as their responses end. Resolves to whether every running request finished in time.
   */
  shutdown(graceMs: number): Promise<boolean>;
  /** Closes the server (at once, if shutdown() has not) and frees every model. */
  dispose(): Promise<void>;
}

/**
 * After the drain, how long the last responses may take to reach their clients before their connections are cut
 * (a client that stopped reading would otherwise hold the process).
 */
const FLUSH_MS = 5_000;
/** The moderation model's context: a text longer than it is judged by its end. */
const GUARD_CONTEXT = 4096;

/**
 * Loads the models and starts the server on them, wired as `hermes serve` runs it (and as the tests serve): the
 * served models (the first loaded now), an embedding model, the moderation checks with the moderation model, the HTTP edge.
 */
export async function startHermes(options: HermesOptions): Promise<Hermes> {
  const owned: Array<{ dispose(): Promise<void> }> = [];
  const disposeAll = async (): Promise<void> => {
    for (const resource of owned) await resource.dispose();
  };
  try {
    const fleet = await ModelFleet.inspect({ ...options.fleet, models: options.models });
    owned.push(fleet);
    // listening before the models load: /health says 503 "loading" meanwhile, and a balancer routes nothing here
    const server = await startServer(options.server);
    let closing: Promise<void> | undefined;
    const close = (graceMs: number): Promise<void> => (closing ??= server.close(graceMs));
    // the server closes first: no request reaches a model being freed
    owned.unshift({ dispose: () => close(0) });
    options.onListening?.(server.url);
    const model = (await fleet.load(fleet.models[0]!.id)).served!;
    // the other models run with the served model's thread counts (measured once, with --threads auto): an
    // embedding model evaluates prompt-like chunks, the moderation model a prompt and then a few tokens
    const threads = model.engine.info.threads;
    const embeddingPath = options.embeddingModelPath;
    const embeddingModel = embeddingPath === undefined ? undefined : await EmbeddingModel.load({ modelPath: embeddingPath, threads: threads.batch, created: model.created });
    if (embeddingModel) owned.push(embeddingModel);
    // the moderation model gets an engine of its own: one slot, its requests queue there, never in the served model's
    const guardPath = options.moderation?.modelPath;
    const guard = guardPath === undefined ? undefined : await Engine.load({ modelPath: guardPath, parallel: 1, contextSize: GUARD_CONTEXT, threads: threads.decode, threadsBatch: threads.batch });
    if (guard) owned.push(guard);
    const moderator = new Moderator(options.moderation?.mode ?? "report", [profanityCheck, jailbreakCheck, ...(guard ? [new GuardClassifier(guard)] : [])]);
    let draining = false;
    server.ready({ ...options.server, models: fleet, moderator, embeddingModel, isDraining: () => draining });
    return {
      url: server.url,
      models: fleet,
      model,
      shutdown: (graceMs) =>
        gracefulShutdown(
          {
            stopAdmitting: () => void (draining = true),
            drain: () => fleet.drain(),
            // ends what still runs with 503 (an error event in a started stream)
            abortRunning: () => fleet.close(),
            closeConnections: () => close(FLUSH_MS),
          },
          graceMs,
        ),
      dispose: disposeAll,
    };
  } catch (error) {
    await disposeAll();
    throw error;
  }
}
