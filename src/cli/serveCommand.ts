import { createWriteStream, readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { parseArgs } from "node:util";
import os from "node:os";
import { DEFAULT_CACHE_DISK_BYTES, DEFAULT_PREFILL_CHUNK } from "../engine/engineDefaults.js";
import { flashAttentionModes, kvCacheTypes, type FlashAttentionMode, type KvCacheType } from "../engine/kvCacheLayout.js";
import { modelCatalogue } from "../models/modelCatalogue.js";
import { modelsInFolder } from "../models/modelsInFolder.js";
import { moderationModes, type ModerationMode } from "../moderation/Moderator.js";
import { ApiKeyRegistry } from "../server/ApiKeyRegistry.js";
import { parseApiKeys, type ApiKeyEntry } from "../server/parseApiKeys.js";
import { chatFormats, type ChatFormat } from "../templates/ChatTemplate.js";
import { demoModel } from "./demoModel.js";
import { describeThreads } from "./describeThreads.js";
import { numberFlag } from "./numberFlag.js";
import { ProgressBar } from "./ProgressBar.js";
import { modelStoreOptions, resolveModelFlag } from "./resolveModelFlag.js";
import { threadsFlags, threadsUsage } from "./threadsFlags.js";

export const serveUsage = `hermes serve --model MODEL [options]
hermes serve --demo [options]

  --model MODEL       GGUF model to serve: a file, hf:OWNER/REPO:QUANT, hf:OWNER/REPO/FILE.gguf, a URL, or
                      ${modelCatalogue.map((entry) => entry.name).join(" / ")}[:QUANT] (downloaded once, see 'hermes pull');
                      may be repeated: the first is loaded at start, the others when a request names them
  --models-dir DIR    also serve every model in DIR: those pulled into it, and the GGUF files put there (top level,
                      or a folder each); it is where --model downloads to (default $HERMES_HOME/models, HERMES_HOME
                      defaulting to ~/.cache/hermes-serve)
  --offline           use the models folder only, never the network (also: HF_HUB_OFFLINE=1)
  --models-max K      models loaded at once, at most; loading another unloads the least recently used idle one
                      (default: as many as fit in the available memory)
  --idle-unload S     unload a model no request has used for S seconds (default 0: never)
  --demo              serve a freshly generated tiny model (random weights: its text is noise)
  --host HOST         address to listen on (default 127.0.0.1)
  --port N            port (default 8080; 0 = any free port)
  --parallel N        requests decoded together (default 2)
  --ctx-size N        tokens per request, prompt + completion (default: the model's training context)
${threadsUsage("(--demo: 1, the demo model's batches are too small to share)")}
  --model-alias NAME  the model id clients use (default: the GGUF's name); repeated, the Nth names the Nth --model
  --chat-format F     ${chatFormats.join(" | ")} (default: the GGUF's template, else alpaca)
  --max-queue N       requests that may wait for a slot; more get 503 at once (default 64 x parallel)
  --queue-timeout S   seconds a request may wait for a slot before a 503 (default 300; 0 = no limit)
  --request-timeout S seconds a completion or embeddings request may take, queue wait included, before a 504
                      (default 0 = no limit)
  --shutdown-grace S  on SIGTERM / SIGINT, seconds the running requests may take to finish (default 30);
                      queued ones get 503 at once, a second signal exits at once
  --prefill-chunk N   prompt tokens evaluated per decode step, so long prompts never stall other streams
                      (default ${DEFAULT_PREFILL_CHUNK.cpu} on a CPU, ${DEFAULT_PREFILL_CHUNK.gpu} with a GPU)
  --cache-type-k T    KV cache type of the keys: ${kvCacheTypes.join(" | ")} (default f16)
  --cache-type-v T    ... of the values: ${kvCacheTypes.join(" | ")} (default f16; quantized needs flash attention)
  --flash-attn M      ${flashAttentionModes.join(" | ")}: flash attention as llama.cpp decides, always, never (default auto);
                      a combination the model cannot run with is refused at start
  --cache-ram MiB     prompt cache: keeps the KV state of a slot a new request reuses, and restores it when its
                      conversation returns (default: a quarter of the free memory, at most 8192; 0 = off)
  --cache-dir DIR     ... and past that, on disk in DIR, where the states survive restarts (default: none)
  --cache-dir-size MiB  bound of the states kept in DIR (default ${DEFAULT_CACHE_DISK_BYTES / 2 ** 20})
  --embedding-model MODEL  a GGUF for /embeddings, served under its own name (default: embeddings of --model)
  --moderation M      ${moderationModes.join(" | ")}: report the content filter's findings (default), also refuse
                      flagged prompts (400 content_filter) and withhold flagged output, or skip it
  --moderation-model MODEL  a Llama-Guard-style GGUF judging hate, self-harm, sexual and violent content
  --api-key KEY       require 'Authorization: Bearer KEY' (or set HERMES_API_KEY); may be repeated
  --api-keys FILE     keys with names and limits, one a line: NAME KEY [rpm=N] [tpm=N] ('#' comments);
                      re-read on SIGHUP
  --cors-origin O     let browser scripts from origin O call the API ('*': any); may be repeated
  --no-playground     serve no web playground at / (an API-only server: / is a 404)
  --tls-cert FILE     serve HTTPS with this PEM certificate (chain) ...
  --tls-key FILE      ... and this PEM private key
  --log-file FILE     append the access log (one JSON line per request) here instead of stderr
  --log-content       put prompt and output text in the access log (default: never)`;

/**
 * The prompt cache's RAM bound by default: a quarter of the memory available at start (before the model loads), at
 * most 8 GiB (llama-server's default).
 */
function defaultCacheRamMiB(): number {
  return Math.min(8192, Math.floor(os.freemem() / 4 / 2 ** 20));
}

/** The id under which the demo model is also served, so the hosted API's examples run against it unchanged. */
const DEMO_HOSTED_ID = "nousresearch/nous-hermes-llama2-13b";

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string", short: "m", multiple: true },
      "models-max": { type: "string" },
      "idle-unload": { type: "string", default: "0" },
      demo: { type: "boolean", default: false },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8080" },
      parallel: { type: "string", default: "2" },
      "ctx-size": { type: "string" },
      threads: { type: "string" },
      "threads-batch": { type: "string" },
      "model-alias": { type: "string", multiple: true },
      "chat-format": { type: "string" },
      "api-key": { type: "string", multiple: true },
      "api-keys": { type: "string" },
      "cors-origin": { type: "string", multiple: true },
      "no-playground": { type: "boolean", default: false },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "log-file": { type: "string" },
      "log-content": { type: "boolean", default: false },
      "max-queue": { type: "string" },
      "queue-timeout": { type: "string", default: "300" },
      "request-timeout": { type: "string", default: "0" },
      "shutdown-grace": { type: "string", default: "30" },
      "prefill-chunk": { type: "string" },
      "cache-type-k": { type: "string", default: "f16" },
      "cache-type-v": { type: "string", default: "f16" },
      "flash-attn": { type: "string", default: "auto" },
      "cache-ram": { type: "string" },
      "cache-dir": { type: "string" },
      "cache-dir-size": { type: "string" },
      "embedding-model": { type: "string" },
      moderation: { type: "string", default: "report" },
      "moderation-model": { type: "string" },
      ...modelStoreOptions,
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(serveUsage);
    return 0;
  }
  const chatFormat = values["chat-format"];
  if (chatFormat !== undefined && !chatFormats.includes(chatFormat as ChatFormat)) {
    throw new Error(`--chat-format must be one of ${chatFormats.join(", ")}`);
  }
  if (values.demo && (values.model !== undefined || values["models-dir"] !== undefined)) throw new Error("--demo serves the generated model alone: no --model or --models-dir with it");
  if (!values.demo && values.model === undefined && values["models-dir"] === undefined) {
    throw new Error(`give either --model FILE or --demo (or --models-dir DIR, to serve the models in it)\n\n${serveUsage}`);
  }
  const aliases = values["model-alias"] ?? [];
  if (aliases.length > (values.model?.length ?? 0)) throw new Error(`${aliases.length} --model-alias for ${values.model?.length ?? 0} --model`);
  const modelsMax = numberFlag(values["models-max"], "--models-max", "positive");
  const idleUnload = numberFlag(values["idle-unload"], "--idle-unload", "seconds");
  const port = numberFlag(values.port, "--port", "non-negative");
  const parallel = numberFlag(values.parallel, "--parallel", "positive");
  const contextSize = numberFlag(values["ctx-size"], "--ctx-size", "positive");
  const threads = threadsFlags(values.threads, values["threads-batch"], values.demo ? 1 : undefined);
  const maxQueue = numberFlag(values["max-queue"], "--max-queue", "non-negative") ?? 64 * parallel;
  const queueTimeout = numberFlag(values["queue-timeout"], "--queue-timeout", "seconds");
  const requestTimeout = numberFlag(values["request-timeout"], "--request-timeout", "seconds");
  const shutdownGrace = numberFlag(values["shutdown-grace"], "--shutdown-grace", "seconds");
  const prefillChunk = numberFlag(values["prefill-chunk"], "--prefill-chunk", "positive");
  const choice = <T extends string>(flag: string, value: string, choices: readonly T[]): T => {
    if (!choices.includes(value as T)) throw new Error(`${flag} must be one of ${choices.join(", ")}`);
    return value as T;
  };
  const kvCache = {
    keyType: choice<KvCacheType>("--cache-type-k", values["cache-type-k"], kvCacheTypes),
    valueType: choice<KvCacheType>("--cache-type-v", values["cache-type-v"], kvCacheTypes),
    flashAttention: choice<FlashAttentionMode>("--flash-attn", values["flash-attn"], flashAttentionModes),
  };
  const cacheRamMiB = numberFlag(values["cache-ram"], "--cache-ram", "non-negative") ?? defaultCacheRamMiB();
  const cacheDirMiB = numberFlag(values["cache-dir-size"], "--cache-dir-size", "positive");
  if (cacheDirMiB !== undefined && values["cache-dir"] === undefined) throw new Error("--cache-dir-size needs --cache-dir");
  const promptCache = {
    ramBytes: cacheRamMiB * 2 ** 20,
    ...(values["cache-dir"] !== undefined ? { dir: values["cache-dir"] } : {}),
    ...(cacheDirMiB !== undefined ? { diskBytes: cacheDirMiB * 2 ** 20 } : {}),
    warn: (message: string) => console.error(message),
  };
  const embeddingRef = values["embedding-model"];

  const moderationMode = values.moderation as ModerationMode;
  if (!moderationModes.includes(moderationMode)) throw new Error(`--moderation must be one of ${moderationModes.join(", ")}`);
  const moderationRef = values["moderation-model"];


  // keys and certificates are checked before the model loads, so a mistake in them costs no loading time
  const fixedKeys: ApiKeyEntry[] = (values["api-key"] ?? (process.env.HERMES_API_KEY ? [process.env.HERMES_API_KEY] : [])).map((key, i, all) => ({
    name: all.length === 1 ? "default" : `key-${i + 1}`,
    key,
  }));
  const keysPath = values["api-keys"];
  const readKeys = (): ApiKeyEntry[] => {
    const entries = [...fixedKeys, ...(keysPath === undefined ? [] : parseApiKeys(readFileSync(keysPath, "utf8")))];
    if (fixedKeys.some(({ key }) => !/^\S+$/.test(key))) throw new Error("an API key must be non-empty, without blanks");
    if (new Set(entries.map((entry) => entry.name)).size < entries.length) throw new Error("a name in the keys file is also the name of an --api-key (default, key-N)");
    if (new Set(entries.map((entry) => entry.key)).size < entries.length) throw new Error("the same key is given twice (--api-key, --api-keys)");
    return entries;
  };
  let keyEntries: ApiKeyEntry[];
  try {
    keyEntries = readKeys();
  } catch (error) {
    throw new Error(`${keysPath ?? "--api-key"}: ${(error as Error).message}`);
  }
  const tlsCert = values["tls-cert"];
  const tlsKey = values["tls-key"];
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new Error("--tls-cert and --tls-key go together");
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (tlsCert !== undefined && tlsKey !== undefined) {
    tls = { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) };
    try {
      createSecureContext(tls);
    } catch (error) {
      throw new Error(`--tls-cert/--tls-key: ${(error as Error).message}`);
    }
  }
  const logFile = values["log-file"] === undefined ? undefined : createWriteStream(values["log-file"], { flags: "a" });
  await new Promise<void>((resolve, reject) => (logFile ? logFile.once("open", () => resolve()).once("error", reject) : resolve()));
  // a log file that stops taking lines (disk full) must not bring the server down: say so and go on
  logFile?.on("error", (error) => console.error(`--log-file: ${error.message}`));
  // a stream cut by the shutdown settles after the file is closed: its line is dropped, not an error
  const accessLog = logFile ? (line: string) => void (logFile.writableEnded || logFile.write(`${line}\n`)) : (line: string) => void process.stderr.write(`${line}\n`);

  // llama.cpp's bindings load only once every flag has been checked: a mistake is reported at once
  const { startHermes } = await import("./startHermes.js");
  // the models last: a mistake in any flag is reported before a download starts
  const modelPaths = values.demo ? [demoModel()] : [];
  for (const ref of values.model ?? []) modelPaths.push((await resolveModelFlag(ref, values)).path);
  const folder = values["models-dir"];
  if (folder !== undefined) {
    const found = modelsInFolder(folder).filter((path) => !modelPaths.includes(path));
    if (found.length === 0 && modelPaths.length === 0) throw new Error(`no model in ${folder}: put GGUF files there, or pull one (hermes pull MODEL --models-dir ${folder})`);
    modelPaths.push(...found);
  }
  const embeddingPath = embeddingRef === undefined ? undefined : (await resolveModelFlag(embeddingRef, values, "embedding model")).path;
  const moderationPath = moderationRef === undefined ? undefined : (await resolveModelFlag(moderationRef, values, "moderation model")).path;
  const progress = new ProgressBar(`loading ${modelPaths[0]}`);
  const apiKeys = keyEntries.length > 0 ? new ApiKeyRegistry(keyEntries) : undefined;
  const hermes = await startHermes({
    // a line of its own: the progress bar below it is the load that /health answers 503 "loading" for
    onListening: (url) => progress.done(`hermes-serve listening at ${url}: loading the model (/health answers 503 until it is ready)`),
    models: modelPaths.map((modelPath, index) => ({
      modelPath,
      parallel,
      ...(contextSize !== undefined ? { contextSize } : {}),
      ...threads,
      queue: { maxQueue, queueTimeoutMs: queueTimeout * 1000 },
      ...(prefillChunk !== undefined ? { prefillChunk } : {}),
      kvCache,
      promptCache,
      // the first loads before the server listens, with a progress bar; the others load while it serves
      ...(index === 0 ? { onLoadProgress: (fraction: number) => progress.update(fraction) } : {}),
      ...(chatFormat !== undefined ? { chatFormat: chatFormat as ChatFormat } : {}),
      ...(aliases[index] !== undefined ? { alias: aliases[index] } : {}),
      ...(values.demo ? { extraIds: [DEMO_HOSTED_ID] } : {}),
    })),
    fleet: {
      ...(modelsMax !== undefined ? { maxLoaded: modelsMax } : {}),
      idleUnloadMs: idleUnload * 1000,
      log: (message) => console.error(message),
    },
    ...(embeddingPath !== undefined ? { embeddingModelPath: embeddingPath } : {}),
    moderation: { mode: moderationMode, ...(moderationPath !== undefined ? { modelPath: moderationPath } : {}) },
    server: {
      host: values.host,
      port,
      ...(apiKeys ? { apiKeys } : {}),
      requestTimeoutMs: requestTimeout * 1000,
      ...(values["cors-origin"] ? { corsOrigins: values["cors-origin"] } : {}),
      playground: !values["no-playground"],
      accessLog,
      logContent: values["log-content"],
      ...(tls ? { tls } : {}),
    },
  });
  // SIGHUP re-reads the keys file; a file that does not parse leaves the keys as they were
  const reload = (): void => {
    try {
      const entries = readKeys();
      apiKeys?.replace(entries);
      console.error(`${keysPath}: reloaded, ${entries.length} key${entries.length === 1 ? "" : "s"}`);
    } catch (error) {
      console.error(`${keysPath}: not reloaded, the previous keys stay: ${(error as Error).message}`);
    }
  };
  if (keysPath !== undefined) process.on("SIGHUP", reload);
  const { ids, template, engine } = hermes.model;
  const kv = engine.info.kvCache;
  const cache = engine.stats().promptCache;
  const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;
  progress.done(
    `hermes-serve ready at ${hermes.url}/v1 (also /v3/openai, /openai/v1): model "${ids[0]}", ` +
      (hermes.models.models.length > 1 ? `loaded at start of ${hermes.models.models.length} (${hermes.models.models.slice(1).map((m) => `"${m.id}"`).join(", ")} load when asked for), ` : "") +
      `${template.format} format, ${parallel} slot${parallel === 1 ? "" : "s"} x ${engine.info.contextSize} tokens, ` +
      `KV cache ${(kv.bytesPerSlot / 2 ** 20).toFixed(1)} MiB per slot (K ${kv.keyType}, V ${kv.valueType}, flash attention ${kv.flashAttention}), ` +
      describeThreads(engine.info.threads, parallel) +
      ", " +
      (cache === undefined
        ? "prompt cache off"
        : `prompt cache ${mib(cache.ram.limitBytes)} RAM` +
          (cache.disk ? ` + ${mib(cache.disk.limitBytes)} in ${cache.disk.dir} (${cache.disk.entries} state${cache.disk.entries === 1 ? "" : "s"} found)` : "")) +
      (values["no-playground"] ? "" : `; playground at ${hermes.url}/`),
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  // a second signal does not wait for the drain
  const exitNow = (again: NodeJS.Signals): void => {
    console.error(`${again} again: exiting without waiting for the running requests`);
    process.exit(again === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", exitNow);
  process.once("SIGTERM", exitNow);
  process.off("SIGHUP", reload);
  console.error(`${signal}: draining; running requests have ${shutdownGrace} s to finish, queued ones get 503`);
  const drained = await hermes.shutdown(shutdownGrace * 1000);
  if (!drained) console.error(`the grace period of ${shutdownGrace} s is over: the requests still running were ended with 503`);
  logFile?.end();
  await hermes.dispose();
  return 0;
}
