import os from "node:os";
import { AbortedError, ShuttingDownError } from "../engine/engineErrors.js";
import { inspectModel } from "../engine/inspectModel.js";
import { ModelNotFoundError, ModelUnavailableError } from "../errors/ApiError.js";
import { FleetModel } from "./FleetModel.js";
import { loadServedModel, type ServedModelOptions } from "./loadServedModel.js";
import { planRoom } from "./planRoom.js";
import type { ServedModel } from "./ServedModel.js";
import { servedModelIds } from "./servedModelIds.js";
import { isStreamed, throughChunks } from "./throughChunks.js";

export interface ModelFleetOptions {
  /** The models served, in the order `/models` lists them; the first is loaded at start, the others when asked for. */
  models: readonly ServedModelOptions[];
  /** Models loaded at once, at most (`--models-max`; default: as many as fit in memory). */
  maxLoaded?: number;
  /** A model no request has used for this long is unloaded (`--idle-unload`; default 0: never). */
  idleUnloadMs?: number;
  /** Bytes of memory a load may take (default: the system's available memory, read at each load). */
  availableMemory?: () => number;
  /** Hears of every load and unload, one line each. */
  log?: (message: string) => void;
}

/** A loaded model lent to one request: `release()` (idempotent) once the request is done with it. */
export interface ModelLease {
  model: ServedModel;
  release(): void;
}

/** Seconds a request refused for want of room is told to wait: a busy model frees up as its requests end. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The models one server serves, loaded on demand: a request names a model, and `using` lends it loaded, loading it
 * first when it is not (the request waits; the others go on). Loads run one at a time; each first makes room, by
 * `planRoom`: within `--models-max` and the available memory, unloading idle models least recently used first, or
 * refusing with 503 `model_unavailable` when the room cannot be made (never a load that would exhaust memory).
 * A model in use is never unloaded; `unload` (the operator's) waits for its requests to end.
 */
export class ModelFleet {
  /** The chain that runs loads one after the other. */
  private loads: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly loadListeners: Array<(model: FleetModel) => void> = [];

  private constructor(
    readonly models: readonly FleetModel[],
    private readonly options: ModelFleetOptions,
  ) {}

  /** Reads every model's GGUF header (names, context, memory) and loads the first; throws if it cannot. */
  static async open(options: ModelFleetOptions): Promise<ModelFleet> {
    const fleet = await ModelFleet.inspect(options);
    await fleet.load(fleet.models[0]!.id);
    return fleet;
  }

  /** Reads every model's GGUF header (names, context, memory), loading none. */
  static async inspect(options: ModelFleetOptions): Promise<ModelFleet> {
    if (options.models.length === 0) throw new Error("no model to serve");
    const created = Math.floor(Date.now() / 1000);
    const taken = new Map<string, string>();
    const models: FleetModel[] = [];
    for (const spec of options.models) {
      const outline = await inspectModel(spec);
      if (spec.alias !== undefined && taken.has(spec.alias.toLowerCase())) {
        throw new Error(`the alias '${spec.alias}' of ${spec.modelPath} is already a name of ${taken.get(spec.alias.toLowerCase())}`);
      }
      // two files may share a name (a GGUF's general.name, the hosted id): the first listed keeps it
      const all = servedModelIds({ ...(spec.alias !== undefined ? { alias: spec.alias } : {}), name: outline.name, path: spec.modelPath, ...(spec.extraIds ? { extra: spec.extraIds } : {}) });
      const ids = all.filter((id) => !taken.has(id.toLowerCase()));
      if (ids.length === 0) throw new Error(`every name of ${spec.modelPath} (${all.join(", ")}) is already another model's: give it an alias`);
      for (const id of ids) taken.set(id.toLowerCase(), spec.modelPath);
      models.push(new FleetModel(spec, outline, ids as [string, ...string[]], created));
    }
    return new ModelFleet(models, options);
  }

  /** How long a model no request uses stays loaded (ms; 0: until an operator or a load needing its room unloads it). */
  get idleUnloadMs(): number {
    return this.options.idleUnloadMs ?? 0;
  }

  /** The model named `name` (any of its names, in any case); 404 listing the served ids otherwise. */
  find(name: string): FleetModel {
    const model = this.models.find((m) => m.answersTo(name));
    if (!model) throw new ModelNotFoundError(name, this.models.map((m) => m.id));
    return model;
  }

  /**
   * Runs `run` with the model `name` loaded and leased; the lease ends when `run` settles or, when its result
   * streams (`chunks`), when the stream ends. Waiting for a load ends when `signal` aborts (AbortedError).
   */
  async using<R>(name: string, signal: AbortSignal | undefined, run: (model: ServedModel) => Promise<R>): Promise<R> {
    const lease = await this.acquire(name, signal);
    let value: R;
    try {
      value = await run(lease.model);
    } catch (error) {
      lease.release();
      throw error;
    }
    if (!isStreamed(value)) {
      lease.release();
      return value;
    }
    return throughChunks(value, async function* (chunks) {
      try {
        yield* chunks;
      } finally {
        lease.release();
      }
    });
  }

  /** The model `name`, loaded (waiting for its load, or starting it), lent until `release()`. */
  async acquire(name: string, signal?: AbortSignal): Promise<ModelLease> {
    const model = this.find(name);
    let waited: Promise<Error | undefined> | undefined;
    for (;;) {
      if (this.closed) throw new ShuttingDownError();
      if (model.status === "loaded" && model.served) return this.lend(model, model.served);
      if (model.status === "unloaded") this.startLoad(model);
      // a transition already waited for, its state not moved yet: wait a turn of the event loop, never spin on it
      if (model.transition === waited) await new Promise((resolve) => setImmediate(resolve));
      waited = model.transition;
      const failure = await untilSettled(model.transition!, signal);
      if (failure) throw failure;
    }
  }

  /** Loads the model `name` now (the operator's `/models/load`); resolves once it is loaded. */
  async load(name: string): Promise<FleetModel> {
    (await this.acquire(name)).release();
    return this.find(name);
  }

  /**
   * Unloads the model `name` (the operator's `/models/unload`) once its running requests end; requests that come
   * meanwhile wait, and load it again. Resolves once it is unloaded (at once if it was not loaded).
   */
  async unload(name: string): Promise<FleetModel> {
    const model = this.find(name);
    while (model.status === "loading" || model.status === "unloading") await model.transition;
    if (model.status === "loaded") {
      model.status = "unloading";
      model.transition = settled(this.unloadNow(model));
      await model.transition;
    }
    return model;
  }

  /** Calls `listener` after each load, with the model now loaded (its engine is `model.served.engine`). */
  onLoad(listener: (model: FleetModel) => void): void {
    this.loadListeners.push(listener);
  }

  /** Lets the running requests of every loaded model finish, refusing new ones (the drain at shutdown). */
  async drain(): Promise<void> {
    await Promise.all(this.loaded().map((m) => m.served!.engine.drain()));
  }

  /** Ends every queued and running request with 503 and refuses new ones; the models stay loaded. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.loaded().map((m) => m.served!.engine.close()));
  }

  /** Frees every model, after the load under way (if any) ends. */
  async dispose(): Promise<void> {
    this.closed = true;
    await this.loads;
    for (const model of this.models) {
      clearTimeout(model.idleTimer);
      while (model.status === "unloading") await model.transition;
      const served = model.served;
      model.served = undefined;
      model.status = "unloaded";
      await served?.engine.dispose();
    }
  }

  private loaded(): FleetModel[] {
    return this.models.filter((m) => m.served !== undefined);
  }

  private lend(model: FleetModel, served: ServedModel): ModelLease {
    model.leases += 1;
    model.lastUsed = performance.now();
    clearTimeout(model.idleTimer);
    let released = false;
    return {
      model: served,
      release: () => {
        if (released) return;
        released = true;
        model.leases -= 1;
        model.lastUsed = performance.now();
        if (model.leases === 0) this.idle(model);
      },
    };
  }

  /** A model's last request has ended: wake an operator's unload waiting for it, or start the idle countdown. */
  private idle(model: FleetModel): void {
    for (const wake of model.idleWaiters.splice(0)) wake();
    const idleMs = this.idleUnloadMs;
    if (idleMs <= 0 || model.status !== "loaded") return;
    clearTimeout(model.idleTimer);
    model.idleTimer = setTimeout(() => {
      if (model.status === "loaded" && model.leases === 0) void this.unload(model.id).catch(() => undefined);
    }, idleMs);
    model.idleTimer.unref();
  }

  /** Queues the model's load behind any under way; its state says loading until it is done. */
  private startLoad(model: FleetModel): void {
    model.status = "loading";
    model.progress = 0;
    const run = this.loads.then(() => this.loadNow(model));
    this.loads = run.then(
      () => undefined,
      () => undefined,
    );
    model.transition = settled(run);
  }

  private async loadNow(model: FleetModel): Promise<void> {
    try {
      if (this.closed) throw new ShuttingDownError();
      const residents = this.loaded().map((m) => ({ id: m.id, memoryBytes: m.outline.memoryBytes, lastUsed: m.lastUsed, busy: m.leases > 0 }));
      const need = model.outline.memoryBytes;
      const available = this.options.availableMemory?.() ?? os.freemem();
      const maxLoaded = this.options.maxLoaded ?? Number.POSITIVE_INFINITY;
      const plan = planRoom(residents, need, available, maxLoaded);
      if ("refuse" in plan) throw this.refusal(model, plan.refuse, available, residents.map((r) => r.id));
      // each marked and given its transition at once, before anything is awaited: a request for one of them then
      // waits for that unload (and loads it again), never on a transition that is already over
      const unloads = plan.evict.map((id) => {
        const other = this.find(id);
        other.status = "unloading";
        other.transition = settled(this.unloadNow(other, `to make room for ${model.id}`));
        return other.transition;
      });
      await Promise.all(unloads);
      const started = performance.now();
      const served = await loadServedModel(
        {
          ...model.options,
          onLoadProgress: (fraction) => {
            model.progress = fraction;
            model.options.onLoadProgress?.(fraction);
          },
        },
        { ids: model.ids, created: model.created },
      );
      const ms = performance.now() - started;
      model.served = served;
      model.status = "loaded";
      model.lastError = undefined;
      model.counters.loads += 1;
      model.counters.loadMs += ms;
      this.options.log?.(`model ${model.id}: loaded in ${(ms / 1000).toFixed(1)} s`);
      for (const listener of this.loadListeners) listener(model);
      // a model loaded ahead of its requests (the first, an operator's load) counts as idle from now
      model.lastUsed = performance.now();
      if (model.leases === 0) this.idle(model);
    } catch (error) {
      model.status = "unloaded";
      const failure = error instanceof ModelUnavailableError || error instanceof ShuttingDownError ? error : new ModelUnavailableError(`The model '${model.id}' could not be loaded: ${(error as Error).message}`, RETRY_AFTER_SECONDS);
      model.lastError = failure.message;
      this.options.log?.(`model ${model.id}: not loaded: ${failure.message}`);
      throw failure;
    }
  }

  /** Frees a model marked unloading, once its requests have ended. */
  private async unloadNow(model: FleetModel, why = "unloaded"): Promise<void> {
    while (model.leases > 0) await new Promise<void>((wake) => model.idleWaiters.push(wake));
    clearTimeout(model.idleTimer);
    const served = model.served;
    model.served = undefined;
    try {
      await served?.engine.dispose();
    } finally {
      model.status = "unloaded";
      model.counters.unloads += 1;
      this.options.log?.(`model ${model.id}: ${why}`);
    }
  }

  private refusal(model: FleetModel, reason: "memory" | "busy", available: number, loaded: readonly string[]): ModelUnavailableError {
    const mib = (bytes: number): string => `${Math.ceil(bytes / 2 ** 20)} MiB`;
    const need = `The model '${model.id}' needs about ${mib(model.outline.memoryBytes)} of memory to load`;
    if (reason === "memory") {
      return new ModelUnavailableError(`${need}; ${mib(available)} are available${loaded.length > 0 ? ` with ${loaded.join(", ")} loaded` : ""}, and unloading every other model would not free enough.`, RETRY_AFTER_SECONDS);
    }
    const max = this.options.maxLoaded;
    const bound = max !== undefined && loaded.length >= max ? `the ${max} models loaded at most (--models-max)` : `${mib(available)} of available memory`;
    return new ModelUnavailableError(`${need} and cannot within ${bound} now: the loaded models (${loaded.join(", ")}) are in use. Retry once their requests end.`, RETRY_AFTER_SECONDS);
  }
}

/** A transition's promise for those who wait on it: resolves with its failure instead of rejecting. */
function settled(run: Promise<void>): Promise<Error | undefined> {
  return run.then(
    () => undefined,
    (error: Error) => error,
  );
}

/** `transition`'s outcome, or AbortedError once `signal` aborts (the transition goes on). */
function untilSettled(transition: Promise<Error | undefined>, signal: AbortSignal | undefined): Promise<Error | undefined> {
  if (!signal) return transition;
  if (signal.aborted) return Promise.reject(AbortedError.of(signal));
  return new Promise((resolve, reject) => {
    const abort = (): void => reject(AbortedError.of(signal));
    signal.addEventListener("abort", abort, { once: true });
    void transition.then((outcome) => {
      signal.removeEventListener("abort", abort);
      resolve(outcome);
    });
  });
}
