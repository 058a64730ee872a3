import assert from "node:assert/strict";
import { neutralSampling } from "../src/engine/neutralSampling.js";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Engine, type EngineOptions } from "../src/engine/Engine.js";
import type { GenerationEvent, TokenLogprob } from "../src/engine/types.js";
import { synthesizeLlamaModel } from "../src/gguf/synthesizeLlamaModel.js";
import { tinyModelPath } from "./helpers/testServer.js";

const GREEDY = neutralSampling({ temperature: 0, logitBias: new Map([[2, -100]]) });

const words = (n: number, seed: number): string =>
  Array.from({ length: n }, (_, i) => ["river", "stone", "lamp", "quiet", "orbit", "maple", "signal", "harbor", "copper"][(i * 7 + seed * 3) % 9]).join(" ");

/** A conversation-like prompt of some 400 tokens (restoring it clearly beats recomputing it), different per `seed`. */
const history = (seed: number): string => `Conversation ${seed}: ${words(250, seed)}`;

interface Generated {
  tokens: number;
  cachedTokens: number;
  logprobs: TokenLogprob[];
}

/**
 * Whether two runs computed the same: the same tokens, and the same alternatives with the same logprobs up to
 * float32 rounding (a prompt computed in other batches, as a restored prefix and its rest are, rounds differently
 * in the last digits; a wrong state differs in the first).
 */
function assertSameDistribution(actual: TokenLogprob[], expected: TokenLogprob[]): void {
  assert.deepEqual(actual.map((t) => t.token), expected.map((t) => t.token));
  actual.forEach((position, i) => {
    const want = new Map(expected[i]!.top.map((alt) => [alt.token, alt.logprob]));
    const common = position.top.filter((alt) => want.has(alt.token));
    assert.ok(common.length >= position.top.length - 1, `position ${i}: other alternatives`);
    for (const alt of common) assert.ok(Math.abs(alt.logprob - want.get(alt.token)!) < 1e-4, `position ${i}: ${alt.logprob} vs ${want.get(alt.token)}`);
  });
}

async function generate(engine: Engine, text: string, maxTokens = 4): Promise<Generated> {
  const logprobs: TokenLogprob[] = [];
  for await (const event of engine.generate({ promptTokens: engine.promptTokens(text, false), maxTokens, sampling: GREEDY, stop: [], logprobs: 8 }) as AsyncIterable<GenerationEvent>) {
    if (event.type === "text") logprobs.push(...(event.logprobs ?? []));
    if (event.type === "done") return { tokens: event.usage.promptTokens, cachedTokens: event.usage.cachedTokens, logprobs };
  }
  throw new Error("no done event");
}

const engines: Engine[] = [];
const dirs: string[] = [];
after(async () => {
  for (const engine of engines) await engine.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * An engine on the tiny model; with a prompt cache, one that restores whenever a state gives enough tokens: on the
 * tiny model a restore costs about a third of recomputing, close enough for a loaded machine's noise in the
 * estimates to decide (RestoreCost's own choice is tested in test/unit/promptCacheIndex.test.ts).
 */
async function load(options: Partial<EngineOptions> = {}): Promise<Engine> {
  const promptCache = options.promptCache && { restoreMargin: 1000, ...options.promptCache };
  const engine = await Engine.load({ modelPath: tinyModelPath(), parallel: 2, threads: 1, contextSize: 1024, ...options, ...(promptCache ? { promptCache } : {}) });
  engines.push(engine);
  return engine;
}

function tempDir(): string {
  const dir = mkdtempSync(join(os.tmpdir(), "hermes-prompt-cache-"));
  dirs.push(dir);
  return dir;
}

/** What a fresh engine without a prompt cache computes for `text`: the reference a restore must equal. */
let reference: Engine | undefined;
async function recomputed(text: string): Promise<Generated> {
  reference ??= await load();
  return generate(reference, text);
}

/** Fills both slots with other prompts, so that `text`'s state leaves the slots. */
async function evict(engine: Engine, seeds: number[]): Promise<void> {
  for (const seed of seeds) await generate(engine, history(seed));
}

describe("prompt cache (RAM and disk tiers)", () => {
  test("a state kept when its slot is reused is restored into a slot for the returning prompt, with the distribution of a recomputation", async () => {
    const engine = await load({ promptCache: { ramBytes: 64 * 2 ** 20 } });
    const first = `${history(1)} And then`;
    await generate(engine, first);
    await evict(engine, [2, 3, 4]);
    const stats = engine.stats().promptCache!;
    assert.ok(stats.saves >= 1, "the first conversation's state was kept");

    const returning = `${first} the river rose again over the stones`;
    const restored = await generate(engine, returning);
    const after = engine.stats();
    assert.equal(after.promptCache!.hits.ram, 1);
    assert.ok(restored.cachedTokens >= engine.promptTokens(first, false).length - 1, `cached ${restored.cachedTokens}`);
    assert.equal(after.counters.restoredTokens, restored.cachedTokens);
    assertSameDistribution(restored.logprobs, (await recomputed(returning)).logprobs);
  });

  test("the staging folder of a process that is gone (killed before its exit handler) is removed by the next one", async () => {
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const base = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
    const orphan = mkdtempSync(join(base, `hermes-kv-${gone}-`));
    writeFileSync(join(orphan, "left.state"), "x");
    await load({ promptCache: { ramBytes: 2 ** 20 } });
    assert.equal(existsSync(orphan), false);
    assert.ok(readdirSync(base).some((name) => name.startsWith(`hermes-kv-${process.pid}-`)), "its own folder is there");
  });

  test("a slot that holds the prefix is used before a kept state (a copy or the slot itself, no restore)", async () => {
    const engine = await load({ promptCache: { ramBytes: 64 * 2 ** 20 } });
    const first = `${history(50)} And then`;
    await generate(engine, first);
    await evict(engine, [51, 52]); // 50 kept; the slots hold 51 and 52
    const second = `${first} the lamp`;
    await generate(engine, second); // restored into the least recently used slot, which now holds 50's conversation
    assert.equal(engine.stats().promptCache!.hits.ram, 1);
    const third = await generate(engine, `${second} and the river`);
    assert.equal(engine.stats().promptCache!.hits.ram, 1, "the live slot served it, not the cache");
    assert.ok(third.cachedTokens >= engine.promptTokens(second, false).length - 1);
  });

  test("states beyond the RAM bound are evicted least recently used first; the evicted one is recomputed", async () => {
    const probe = await load({ promptCache: { ramBytes: 64 * 2 ** 20 } });
    await generate(probe, history(10));
    await evict(probe, [11, 12]);
    const stateBytes = probe.stats().promptCache!.ram.bytes;
    assert.ok(stateBytes > 0);

    // room for two such states (and a little more), not three
    const engine = await load({ promptCache: { ramBytes: Math.floor(stateBytes * 2.5) } });
    for (const seed of [20, 21, 22, 23, 24]) await generate(engine, history(seed));
    const stats = engine.stats().promptCache!;
    assert.ok(stats.ram.bytes <= stats.ram.limitBytes, `${stats.ram.bytes} > ${stats.ram.limitBytes}`);
    assert.equal(stats.ram.entries, 2);
    assert.ok(stats.evictions >= 1);

    // the slots hold 23 and 24; kept: 21 and 22 (20, the least recently used, was evicted)
    const oldest = await generate(engine, `${history(20)} more`);
    assert.equal(engine.stats().promptCache!.hits.ram, 0, "the evicted state is not restored");
    assert.ok(oldest.cachedTokens < 10);
    const kept = await generate(engine, `${history(22)} more`);
    assert.equal(engine.stats().promptCache!.hits.ram, 1);
    assert.ok(kept.cachedTokens > 100);
  });

  test("the disk tier survives a restart, and is bound to the model and the context settings", async () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const warn = (message: string): void => void warnings.push(message);
    const first = await load({ promptCache: { ramBytes: 64 * 2 ** 20, dir, warn } });
    await generate(first, history(30));
    await generate(first, history(31));
    await first.drain(); // keeps what the slots hold, and writes every state to the disk tier
    const [folder] = readdirSync(dir);
    assert.equal(readdirSync(join(dir, folder!)).filter((name) => name.endsWith(".state")).length, 2);
    await first.dispose();

    const returning = `${history(30)} and the lamp`;
    const second = await load({ promptCache: { ramBytes: 64 * 2 ** 20, dir, warn } });
    assert.equal(second.stats().promptCache!.disk!.entries, 2);
    const restored = await generate(second, returning);
    assert.equal(second.stats().promptCache!.hits.disk, 1);
    assert.ok(restored.cachedTokens > 100);
    assertSameDistribution(restored.logprobs, (await recomputed(returning)).logprobs);

    // another context size: another fingerprint, another folder; the first folder's states are never read
    const other = await load({ contextSize: 512, promptCache: { ramBytes: 64 * 2 ** 20, dir, warn } });
    const otherFolder = readdirSync(dir).find((name) => name !== folder)!;
    assert.equal(other.stats().promptCache!.disk!.entries, 0);
    const miss = await generate(other, returning);
    assert.ok(miss.cachedTokens < 10);
    assert.equal(other.stats().promptCache!.hits.disk, 0);
    // another model file of the same shape and vocabulary (other weights): another folder too
    const otherModel = join(tempDir(), "tiny-seed-2.gguf");
    synthesizeLlamaModel({ shape: "tiny", type: "f32", out: otherModel, seed: 2, name: "other" });
    const otherWeights = await load({ modelPath: otherModel, promptCache: { ramBytes: 64 * 2 ** 20, dir, warn } });
    assert.equal(otherWeights.stats().promptCache!.disk!.entries, 0);
    assert.ok((await generate(otherWeights, returning)).cachedTokens < 10);
    assert.equal(readdirSync(dir).length, 3);
    assert.deepEqual(warnings, []);

    // a state of the first settings put in the other folder is refused by its description, with a warning
    const [meta] = readdirSync(join(dir, folder!)).filter((name) => name.endsWith(".json"));
    cpSync(join(dir, folder!, meta!), join(dir, otherFolder, meta!));
    cpSync(join(dir, folder!, meta!.replace(".json", ".state")), join(dir, otherFolder, meta!.replace(".json", ".state")));
    const third = await load({ contextSize: 512, promptCache: { ramBytes: 64 * 2 ** 20, dir, warn } });
    assert.equal(third.stats().promptCache!.disk!.entries, 0);
    assert.equal(third.stats().promptCache!.rejected, 1);
    assert.match(warnings.join("\n"), /another model file or other context settings/);
    assert.equal(readdirSync(join(dir, otherFolder)).filter((name) => name.endsWith(".json")).length, 0, "the refused file is removed");
  });

  test("a truncated or corrupt state file is ignored with a warning: the prompt is recomputed", async () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const warn = (message: string): void => void warnings.push(message);
    const first = await load({ promptCache: { ramBytes: 0, dir, warn } });
    for (const seed of [40, 41, 42, 43]) await generate(first, history(seed));
    await first.drain();
    await first.dispose();
    const [folder] = readdirSync(dir);
    reference ??= await load();
    const tokenizer = reference;
    /** The state file holding the conversation `seed`. */
    const path = (seed: number): string => {
      const head = tokenizer.promptTokens(`Conversation ${seed}:`, false);
      const meta = readdirSync(join(dir, folder!)).find((name) => {
        if (!name.endsWith(".json")) return false;
        const tokens = (JSON.parse(readFileSync(join(dir, folder!, name), "utf8")) as { tokens: number[] }).tokens;
        return head.every((token, i) => tokens[i] === token);
      });
      return join(dir, folder!, meta!.replace(".json", ".state"));
    };
    const truncated = path(40);
    truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
    const corrupt = path(41);
    const bytes = readFileSync(corrupt);
    for (let i = bytes.length - 4096; i < bytes.length; i += 7) bytes[i] = bytes[i]! ^ 0x5a;
    writeFileSync(corrupt, bytes);

    const second = await load({ promptCache: { ramBytes: 0, dir, warn } });
    assert.equal(second.stats().promptCache!.rejected, 1, "the truncated file is refused when the folder is read");
    assert.match(warnings.join("\n"), /has \d+ bytes, not \d+/);

    const returning = `${history(41)} and the lamp`;
    const result = await generate(second, returning);
    assert.equal(second.stats().promptCache!.hits.disk, 0);
    assert.equal(second.stats().promptCache!.rejected, 2);
    assert.match(warnings.join("\n"), /does not match its checksum/);
    assert.ok(result.cachedTokens < 10);
    assertSameDistribution(result.logprobs, (await recomputed(returning)).logprobs);
    assert.deepEqual(readdirSync(join(dir, folder!)).filter((name) => name.endsWith(".state")).length, 2, "both bad files are gone, the good ones stay");
  });
});
