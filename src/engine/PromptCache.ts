import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import type { LlamaContextSequence } from "node-llama-cpp";
import { measureRestoreCost } from "./measureRestoreCost.js";
import { PromptCacheIndex, type IndexedState } from "./PromptCacheIndex.js";
import type { RestoreCost } from "./RestoreCost.js";
import { StatePieces } from "./StatePieces.js";

export interface PromptCacheOptions {
  /** Bytes of states kept in host memory (0: none). */
  ramBytes: number;
  /** Folder of the disk tier, where states outlive the process; none by default. */
  dir?: string;
  /** Bytes of states kept in `dir`. */
  diskBytes: number;
  /** What the states are bound to (`stateFingerprint`): states of anything else are never loaded. */
  fingerprint: string;
  /**
   * A slot's state is kept when the next request would discard at least this many of its tokens, and restored when
   * it gives a prompt at least this many tokens more than the slots do.
   */
  minTokens: number;
  /**
   * The share of a recomputation's estimated time a restore may take (RestoreCost's default when absent). Tests of
   * the cache's mechanics raise it, so that a loaded machine's noise in the estimates cannot decide them.
   */
  restoreMargin?: number;
  /** Told of files it ignored (another model's state, a truncated or corrupt file) and of failed writes. */
  warn: (message: string) => void;
}

export interface PromptCacheStats {
  ram: { entries: number; bytes: number; limitBytes: number };
  disk: { entries: number; bytes: number; limitBytes: number; dir: string } | undefined;
  /** Restores, by the tier the state came from. */
  hits: { ram: number; disk: number };
  /** Requests for which no kept state was worth restoring, while the slots left at least `minTokens` to compute. */
  misses: number;
  saves: number;
  /** States taken out of the RAM tier (to disk, or dropped) and out of the disk tier, to stay within the bounds. */
  evictions: number;
  restoreMs: number;
  saveMs: number;
  /** Kept states found unusable (truncated, corrupt, another model's) and removed. */
  rejected: number;
}

/** A kept state, as `find` hands it to `restore`. */
export type KeptState = Readonly<IndexedState>;

interface Entry extends IndexedState {
  readonly id: string;
  /** The state file's bytes, in the RAM tier. */
  ram: StatePieces | undefined;
  /** Its copy in the disk tier: the file's SHA-256, and whether this process checked the file against it. */
  disk: { sha256: string; verified: boolean } | undefined;
  /** The write of its disk copy, while under way. */
  writing: Promise<void> | undefined;
}

/** The disk tier's description of a state, next to llama.cpp's file of it. */
interface StateMeta {
  format: 1;
  fingerprint: string;
  tokens: number[];
  bytes: number;
  sha256: string;
}

const META_FORMAT = 1;

/**
 * KV states of slots about to be reused, kept so that a returning prompt (a conversation whose slot went to
 * another) is restored instead of recomputed: first in host memory, then, when it overflows, in a folder where the
 * states survive restarts. States are llama.cpp's own sequence state files (node-llama-cpp saves and loads a
 * sequence only through a file; in memory they are those files' bytes, staged through a tmpfs file when restored).
 * A state on disk is loaded only after its SHA-256 and its binding to this model and these settings (the folder's
 * fingerprint) check out: llama.cpp itself would load a wrong one and compute nonsense, or crash.
 * Call it only between decode steps, like every operation on a sequence's cells.
 */
export class PromptCache {
  private readonly index = new PromptCacheIndex<Entry>();
  private clock = 0;
  /** The drain's `persist`, while it runs. */
  private persisting: Promise<void> | undefined;
  private readonly counters = { hits: { ram: 0, disk: 0 }, misses: 0, saves: 0, evictions: 0, restoreMs: 0, saveMs: 0, rejected: 0 };

  private constructor(
    private readonly options: PromptCacheOptions,
    /** The disk tier's folder for this fingerprint. */
    private readonly folder: string | undefined,
    /** Where states pass through on their way in and out of memory (tmpfs where there is one). */
    private readonly staging: string,
    private readonly removeStaging: () => void,
    readonly cost: RestoreCost,
  ) {}

  /**
   * Opens the cache: a staging folder, and the disk tier's states of this fingerprint (files that do not check out
   * are removed, with a warning). `probe`, an empty sequence, measures a prefill, a save and a restore to seed the
   * estimates of what a restore saves; it is left empty.
   */
  static async open(options: PromptCacheOptions, probe: { sequence: LlamaContextSequence; tokens: readonly number[] }): Promise<PromptCache> {
    const staging = await makeStaging();
    // an exit without dispose() (a second signal, a crash) leaves no folder behind either
    const removeStaging = (): void => rmSync(staging, { recursive: true, force: true });
    process.once("exit", removeStaging);
    const folder = options.dir === undefined ? undefined : join(options.dir, options.fingerprint.slice(0, 16));
    const cost = await measureRestoreCost(probe.sequence, probe.tokens, staging, options.restoreMargin);
    const cache = new PromptCache(options, folder, staging, removeStaging, cost);
    if (folder !== undefined) {
      try {
        await mkdir(folder, { recursive: true });
        await cache.scan(folder);
      } catch (error) {
        process.off("exit", removeStaging);
        removeStaging();
        throw new Error(`prompt cache folder ${options.dir}: ${(error as Error).message}`);
      }
    }
    return cache;
  }

  /**
   * Keeps the state of `sequence` (a slot about to be given to a request reusing only `kept` of its tokens), unless
   * it would lose fewer than `minTokens` or a kept state already holds it. Making room for it never evicts
   * `restoring`, the state about to be restored for that request. A failure to save is warned of, never thrown: the
   * request goes on without it.
   */
  async keep(sequence: LlamaContextSequence, kept: number, restoring?: KeptState): Promise<void> {
    const tokens = sequence.contextTokens.slice();
    if (tokens.length - kept < this.options.minTokens || this.index.holds(tokens)) return;
    const started = performance.now();
    const id = randomUUID();
    try {
      const entry: Entry = { id, tokens, bytes: 0, lastUsed: this.tick(), ram: undefined, disk: undefined, writing: undefined };
      if (this.options.ramBytes > 0) {
        const staged = join(this.staging, `${id}.state`);
        try {
          await sequence.saveStateToFile(staged);
          entry.ram = await StatePieces.read(staged);
        } finally {
          await rm(staged, { force: true });
        }
        Object.assign(entry, { bytes: entry.ram.size });
      } else {
        const partial = this.path(id, ".state.tmp");
        await sequence.saveStateToFile(partial);
        const sha256 = await StatePieces.hashFile(partial);
        const { size } = await stat(partial);
        await rename(partial, this.path(id, ".state"));
        Object.assign(entry, { bytes: size });
        await this.writeMeta(entry, sha256);
        entry.disk = { sha256, verified: true };
      }
      for (const superseded of this.index.supersededBy(tokens)) await this.drop(superseded);
      this.index.add(entry);
      this.counters.saves++;
      this.counters.saveMs += performance.now() - started;
      await this.enforceBounds(restoring);
    } catch (error) {
      this.options.warn(`prompt cache: could not keep a state of ${tokens.length} tokens: ${(error as Error).message}`);
      await rm(this.path(id, ".state.tmp"), { force: true }).catch(() => undefined);
    }
  }

  /**
   * The kept state worth restoring for a prompt whose reusable tokens are `usable`, when the slots already hold
   * `live` of them: the one sharing the longest prefix, if it gives at least `minTokens` more and restoring it is
   * estimated to beat recomputing them. Counts a miss when none is.
   */
  find(usable: readonly number[], live: number): { state: KeptState; shared: number } | undefined {
    if (usable.length - live < this.options.minTokens) return undefined;
    const match = this.index.longestMatch(usable);
    if (match === undefined || match.shared - live < this.options.minTokens || !this.cost.worth(match.entry.bytes, match.shared - live)) {
      this.counters.misses++;
      return undefined;
    }
    return { state: match.entry, shared: match.shared };
  }

  /**
   * Loads a state `find` returned into `sequence` (replacing what it held). Returns false when the state turned out
   * unusable (its file gone, truncated or corrupt, or holding other tokens): it is removed with a warning and the
   * sequence cleared, to be recomputed.
   */
  async restore(sequence: LlamaContextSequence, state: KeptState): Promise<boolean> {
    const entry = state as Entry;
    const tier = entry.ram !== undefined ? "ram" : "disk";
    const started = performance.now();
    try {
      if (entry.ram !== undefined) {
        const staged = join(this.staging, `${entry.id}.state`);
        try {
          await entry.ram.write(staged);
          await sequence.loadStateFromFile(staged, { acceptRisk: true });
        } finally {
          await rm(staged, { force: true });
        }
      } else {
        await entry.writing;
        if (entry.disk === undefined) throw new Error("its file was not written");
        const path = this.path(entry.id, ".state");
        if (!entry.disk.verified) {
          const bytes = await StatePieces.read(path);
          if (bytes.size !== entry.bytes || bytes.sha256() !== entry.disk.sha256) throw new Error(`${path} does not match its checksum`);
          entry.disk.verified = true;
          if (this.options.ramBytes > 0) entry.ram = bytes;
        }
        await sequence.loadStateFromFile(path, { acceptRisk: true });
        const now = new Date();
        await utimes(path, now, now).catch(() => undefined);
      }
      const loaded = sequence.contextTokens;
      if (loaded.length !== entry.tokens.length || loaded.some((token, i) => token !== entry.tokens[i])) throw new Error("it holds other tokens than its description");
    } catch (error) {
      this.options.warn(`prompt cache: ignored a kept state of ${entry.tokens.length} tokens (${(error as Error).message}); recomputing`);
      this.counters.rejected++;
      await this.drop(entry);
      await sequence.clearHistory();
      return false;
    }
    const ms = performance.now() - started;
    entry.lastUsed = this.tick();
    this.cost.recordRestore(entry.bytes, ms);
    this.counters.hits[tier]++;
    this.counters.restoreMs += ms;
    await this.enforceBounds();
    return true;
  }

  stats(): PromptCacheStats {
    const entries = this.index.all();
    const tier = (has: (entry: Entry) => boolean) => {
      const held = entries.filter(has);
      return { entries: held.length, bytes: held.reduce((sum, entry) => sum + entry.bytes, 0) };
    };
    return {
      ram: { ...tier((entry) => entry.ram !== undefined), limitBytes: this.options.ramBytes },
      disk: this.folder === undefined ? undefined : { ...tier((entry) => entry.disk !== undefined), limitBytes: this.options.diskBytes, dir: this.folder },
      ...this.counters,
      hits: { ...this.counters.hits },
    };
  }

  /** Writes the states only in memory to the disk tier. */
  private async flush(): Promise<void> {
    for (const entry of this.index.all()) if (entry.ram !== undefined && entry.disk === undefined) entry.writing ??= this.writeToDisk(entry, entry.ram);
    await Promise.all(this.index.all().map((entry) => entry.writing));
  }

  /**
   * Keeps what `sequences` hold and writes every state to the disk tier, so that a restart finds them all; without
   * a disk tier, does nothing. Call it once nothing runs (the drain).
   */
  persist(sequences: readonly LlamaContextSequence[]): Promise<void> {
    if (this.folder === undefined) return Promise.resolve();
    this.persisting = (async () => {
      for (const sequence of sequences) await this.keep(sequence, 0);
      await this.flush();
    })();
    return this.persisting;
  }

  /**
   * Waits for a persist and the disk writes under way (so the context is never freed under a save), and removes
   * the staging folder; the disk tier stays.
   */
  async dispose(): Promise<void> {
    await this.persisting;
    await Promise.all(this.index.all().map((entry) => entry.writing));
    process.off("exit", this.removeStaging);
    this.removeStaging();
  }

  /** A clock for least-recently-used order that also orders the disk tier's files across restarts (mtime). */
  private tick(): number {
    this.clock = Math.max(Date.now(), this.clock + 1);
    return this.clock;
  }

  private path(id: string, suffix: string): string {
    return join(this.folder!, `${id}${suffix}`);
  }

  /**
   * Moves the least recently used states out of memory (to disk, if there is a disk tier) and off the disk, never
   * the one being restored.
   */
  private async enforceBounds(restoring?: KeptState): Promise<void> {
    const pinned = restoring as Entry | undefined;
    const inRam = (e: Entry): boolean => e.ram !== undefined;
    const onDisk = (e: Entry): boolean => e.disk !== undefined || e.writing !== undefined;
    const room = (bound: number, inTier: (e: Entry) => boolean): number => bound - (pinned !== undefined && inTier(pinned) ? pinned.bytes : 0);
    for (const entry of this.index.overflow((e) => inRam(e) && e !== pinned, room(this.options.ramBytes, inRam))) {
      const bytes = entry.ram!;
      entry.ram = undefined;
      this.counters.evictions++;
      if (entry.disk !== undefined || entry.writing !== undefined) continue;
      if (this.folder === undefined) this.index.remove(entry);
      else entry.writing = this.writeToDisk(entry, bytes);
    }
    if (this.folder === undefined) return;
    for (const entry of this.index.overflow((e) => onDisk(e) && e !== pinned, room(this.options.diskBytes, onDisk))) {
      this.counters.evictions++;
      await this.drop(entry);
    }
  }

  /** Writes a state to the disk tier (the state, then its description, each complete before it is renamed in). */
  private async writeToDisk(entry: Entry, bytes: StatePieces): Promise<void> {
    try {
      const sha256 = bytes.sha256();
      await bytes.write(this.path(entry.id, ".state.tmp"));
      await rename(this.path(entry.id, ".state.tmp"), this.path(entry.id, ".state"));
      await this.writeMeta(entry, sha256);
      entry.disk = { sha256, verified: true };
    } catch (error) {
      this.options.warn(`prompt cache: could not write a state to ${this.folder}: ${(error as Error).message}`);
      await rm(this.path(entry.id, ".state.tmp"), { force: true }).catch(() => undefined);
      if (entry.ram === undefined) this.index.remove(entry);
    } finally {
      entry.writing = undefined;
    }
  }

  private async writeMeta(entry: Entry, sha256: string): Promise<void> {
    const meta: StateMeta = { format: META_FORMAT, fingerprint: this.options.fingerprint, tokens: [...entry.tokens], bytes: entry.bytes, sha256 };
    await writeFile(this.path(entry.id, ".json.tmp"), JSON.stringify(meta));
    await rename(this.path(entry.id, ".json.tmp"), this.path(entry.id, ".json"));
  }

  /** Takes a state out of the cache, and its files off the disk. */
  private async drop(entry: Entry): Promise<void> {
    this.index.remove(entry);
    await entry.writing;
    entry.ram = undefined;
    if (entry.disk === undefined) return;
    entry.disk = undefined;
    await rm(this.path(entry.id, ".json"), { force: true });
    await rm(this.path(entry.id, ".state"), { force: true });
  }

  /**
   * Indexes the disk tier's states (their SHA-256 is checked when first restored, as reading gigabytes at start
   * would delay it); removes, with a warning, what does not check out, and what a stopped write left.
   */
  private async scan(folder: string): Promise<void> {
    const names = await readdir(folder);
    for (const name of names) if (name.endsWith(".tmp")) await rm(join(folder, name), { force: true });
    for (const name of names.filter((n) => n.endsWith(".state"))) {
      if (!names.includes(name.replace(/\.state$/, ".json"))) await rm(join(folder, name), { force: true });
    }
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const id = name.slice(0, -".json".length);
      try {
        const meta = parseMeta(await readFile(join(folder, name), "utf8"), this.options.fingerprint);
        const state = await stat(this.path(id, ".state"));
        if (state.size !== meta.bytes) throw new Error(`its state file has ${state.size} bytes, not ${meta.bytes}`);
        this.index.add({ id, tokens: meta.tokens, bytes: meta.bytes, lastUsed: state.mtimeMs, ram: undefined, disk: { sha256: meta.sha256, verified: false }, writing: undefined });
        this.clock = Math.max(this.clock, state.mtimeMs);
      } catch (error) {
        this.options.warn(`prompt cache: ignored and removed ${join(folder, name)}: ${(error as Error).message}`);
        this.counters.rejected++;
        await rm(join(folder, name), { force: true });
        await rm(this.path(id, ".state"), { force: true });
      }
    }
    await this.enforceBounds();
  }
}

/** A state's description, read back: throws when it is malformed or describes another model's or settings' state. */
function parseMeta(text: string, fingerprint: string): StateMeta {
  const meta = JSON.parse(text) as Partial<StateMeta>;
  if (meta.format !== META_FORMAT) throw new Error("unknown format");
  if (meta.fingerprint !== fingerprint) throw new Error("it belongs to another model file or other context settings");
  if (!Array.isArray(meta.tokens) || !meta.tokens.every((t) => Number.isInteger(t) && t >= 0)) throw new Error("malformed token list");
  if (!Number.isInteger(meta.bytes) || typeof meta.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(meta.sha256)) throw new Error("malformed description");
  return meta as StateMeta;
}


/**
 * A private staging folder, in memory (/dev/shm) where the system has one, named with this process's id; the
 * folders of processes that are gone (killed before their exit handler ran) are removed first, so that a crash
 * never leaves memory held in tmpfs.
 */
async function makeStaging(): Promise<string> {
  for (const base of ["/dev/shm", os.tmpdir()]) {
    try {
      await removeOrphanStaging(base);
      return await mkdtemp(join(base, `hermes-kv-${process.pid}-`));
    } catch {
      // no such place, or not writable: the next one
    }
  }
  throw new Error(`no writable folder for the prompt cache's staging (tried /dev/shm, ${os.tmpdir()})`);
}

async function removeOrphanStaging(base: string): Promise<void> {
  for (const name of await readdir(base)) {
    const pid = Number(/^hermes-kv-(\d+)-/.exec(name)?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) await rm(join(base, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
