import OpenAI from "openai";
import { generatedModel } from "./generatedModel.js";
import { startHermes, type HermesOptions } from "../../src/cli/startHermes.js";
import type { Engine, EngineOptions } from "../../src/engine/Engine.js";
import type { ModerationMode } from "../../src/moderation/Moderator.js";
import type { ModelFleet } from "../../src/serving/ModelFleet.js";
import { ApiKeyRegistry } from "../../src/server/ApiKeyRegistry.js";
import type { ChatFormat } from "../../src/templates/ChatTemplate.js";

export const MODEL_ID = "nous-hermes-llama2-13b-test";

/** A generated tiny Llama model (random weights, real vocabulary), written once per test process. */
export function tinyModelPath(): string {
  return generatedModel("tiny-f32.gguf", { shape: "tiny", type: "f32", seed: 1, name: MODEL_ID });
}

export interface TestServer {
  url: string;
  /** The first model's engine (loaded at start). */
  engine: Engine;
  models: ModelFleet;
  /** The official OpenAI client pointed at one of the API prefixes. */
  client(prefix?: string, apiKey?: string): OpenAI;
  close(): Promise<void>;
}

/** The real server on a free port, over a generated model loaded through node-llama-cpp. */
export async function startTestServer(
  options: {
    parallel?: number;
    /** One key, as `--api-key`. */
    apiKey?: string;
    /** Named keys with their limits, as `--api-keys FILE` (their clock is the test's to move). */
    apiKeys?: ApiKeyRegistry;
    corsOrigins?: string[];
    /** `--no-playground` when false. */
    playground?: boolean;
    /** Receives the access log's lines. */
    accessLog?: (line: string) => void;
    logContent?: boolean;
    tls?: { cert: string; key: string };
    contextSize?: number;
    chatFormat?: ChatFormat;
    bodyLimitBytes?: number;
    queue?: { maxQueue?: number; queueTimeoutMs?: number };
    prefillChunk?: number;
    /** `--cache-type-k`, `--cache-type-v`, `--flash-attn`. */
    kvCache?: EngineOptions["kvCache"];
    requestTimeoutMs?: number;
    /** Another GGUF to serve (default: the tiny test model). */
    modelPath?: string;
    /** A GGUF served for embeddings only, as `--embedding-model`. */
    embeddingModelPath?: string;
    /** `--moderation` (default report) and `--moderation-model`. */
    moderation?: ModerationMode;
    moderationModelPath?: string;
    /** Further GGUFs served, loaded when a request names them (as further `--model`s). */
    moreModels?: string[];
    /** `--models-max`, `--idle-unload`, and the fleet's memory seam. */
    fleet?: HermesOptions["fleet"];
    /** The engine's fault-injection seam (`EngineOptions.wrapSequencesForTests`). */
    wrapSequencesForTests?: EngineOptions["wrapSequencesForTests"];
  } = {},
): Promise<TestServer> {
  // loaded as `hermes serve` loads it: the GGUF's own chat template when it has one, else Alpaca
  const hermes = await startHermes({
    models: [{
      modelPath: options.modelPath ?? tinyModelPath(),
      parallel: options.parallel ?? 2,
      threads: 1,
      ...(options.queue !== undefined ? { queue: options.queue } : {}),
      ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
      ...(options.prefillChunk !== undefined ? { prefillChunk: options.prefillChunk } : {}),
      ...(options.kvCache !== undefined ? { kvCache: options.kvCache } : {}),
      ...(options.chatFormat !== undefined ? { chatFormat: options.chatFormat } : {}),
      ...(options.wrapSequencesForTests ? { wrapSequencesForTests: options.wrapSequencesForTests } : {}),
    }, ...(options.moreModels ?? []).map((modelPath) => ({ modelPath, parallel: options.parallel ?? 2, threads: 1 }))],
    ...(options.fleet !== undefined ? { fleet: options.fleet } : {}),
    ...(options.embeddingModelPath !== undefined ? { embeddingModelPath: options.embeddingModelPath } : {}),
    moderation: { mode: options.moderation ?? "report", ...(options.moderationModelPath !== undefined ? { modelPath: options.moderationModelPath } : {}) },
    server: {
      host: "127.0.0.1",
      port: 0,
      ...(options.apiKey !== undefined ? { apiKeys: new ApiKeyRegistry([{ name: "default", key: options.apiKey }]) } : {}),
      ...(options.apiKeys !== undefined ? { apiKeys: options.apiKeys } : {}),
      ...(options.corsOrigins !== undefined ? { corsOrigins: options.corsOrigins } : {}),
      ...(options.playground !== undefined ? { playground: options.playground } : {}),
      ...(options.accessLog !== undefined ? { accessLog: options.accessLog } : {}),
      ...(options.logContent !== undefined ? { logContent: options.logContent } : {}),
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.bodyLimitBytes !== undefined ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    },
  });
  return {
    url: hermes.url,
    engine: hermes.model.engine,
    models: hermes.models,
    client: (prefix = "/v1", apiKey = options.apiKey ?? "unused") =>
      new OpenAI({ baseURL: `${hermes.url}${prefix}`, apiKey, maxRetries: 0, timeout: 60_000 }),
    close: () => hermes.dispose(),
  };
}

/** Reads a raw SSE response body into its `data:` payloads, checking the framing byte for byte. */
export async function readSseEvents(response: Response): Promise<string[]> {
  const text = await response.text();
  if (!text.endsWith("\n\n")) throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      if (!event.startsWith("data: ") || event.includes("\n")) throw new Error(`not a single-line data event: ${JSON.stringify(event)}`);
      return event.slice("data: ".length);
    });
}

/** POSTs `body` as JSON; `signal` lets a test disconnect the client. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}
