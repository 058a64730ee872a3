import { cutsScenario } from "./cutsScenario.js";
import { fuzzScenario } from "./fuzzScenario.js";
import { overloadScenario } from "./overloadScenario.js";
import { ServerSupervisor } from "./ServerSupervisor.js";
import { sigtermScenario } from "./sigtermScenario.js";
import { slowClientsScenario } from "./slowClientsScenario.js";
import { stressServerArgs } from "./stressServerArgs.js";
import { swapsScenario } from "./swapsScenario.js";
import type { StressReport } from "./StressReport.js";

export interface StressOptions {
  /** Generated requests of the fuzz. */
  fuzz: number;
  /** Concurrent clients of the overload. */
  clients: number;
  /** Streams cut. */
  cuts: number;
  /** Rounds of the slow-clients comparison. */
  rounds: number;
  /** Load-and-unload cycles of the model swaps (on a server of their own). */
  swaps: number;
  seed: number;
  parallel: number;
  maxQueue: number;
  apiKey: string;
  /** The id the demo model answers to. */
  model: string;
  /** The server's --shutdown-grace in seconds. */
  graceSeconds: number;
  onProgress?: (what: string) => void;
}

/** A seeded source of [0, 1) for the cut points (mulberry32), so a run's cuts can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Runs the scenarios against one `hermes serve` child on 127.0.0.1 (restarted when it dies), in the order fuzz,
 * overload, cuts, slow clients, then SIGTERM, which ends it. A scenario that throws is recorded and the next runs.
 */
export async function runStress(
  options: StressOptions,
  report: Pick<StressReport, "date" | "commit" | "command" | "machine">,
): Promise<StressReport> {
  const serverArgs = stressServerArgs(options);
  const supervisor = await ServerSupervisor.start(serverArgs);
  const result: StressReport = {
    ...report,
    serverArgs,
    memory: { pidBefore: supervisor.server.pid, ...(supervisor.server.rssKiB() !== undefined ? { rssBeforeKiB: supervisor.server.rssKiB()! } : {}), afterScenarios: [] },
    restarts: supervisor.restarts,
    errors: [],
  };
  const { apiKey: key, model } = options;
  /** The server's RSS once `scenario` has ended (also when it threw: its growth is still its own). */
  const sampleMemory = (scenario: string): void => {
    const { pid } = supervisor.server;
    const rssKiB = supervisor.server.rssKiB();
    const previousPid = result.memory.afterScenarios.at(-1)?.pid ?? result.memory.pidBefore;
    result.memory.afterScenarios.push({ scenario, pid, restarted: pid !== previousPid, ...(rssKiB !== undefined ? { rssKiB } : {}) });
  };
  const step = async (name: string, run: () => Promise<void>, measured = true): Promise<void> => {
    options.onProgress?.(name);
    try {
      if (!supervisor.server.alive || !(await supervisor.server.health(5_000))) await supervisor.recover();
      await run();
    } catch (error) {
      result.errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (measured) sampleMemory(name);
  };
  try {
    if (options.fuzz > 0) {
      await step("fuzz", async () => {
        result.fuzz = await fuzzScenario(supervisor, { runs: options.fuzz, seed: options.seed, key, model, requestTimeoutMs: 10_000, maxRestarts: 20, onProgress: (done, total) => done % 500 === 0 && options.onProgress?.(`fuzz ${done}/${total}`) });
      });
    }
    if (options.clients > 0) {
      await step("overload", async () => {
        result.overload = await overloadScenario(supervisor.origin, { clients: options.clients, key, model, maxTokens: 16, answerWithinMs: 1_000, timeoutMs: 30_000 });
      });
    }
    if (options.cuts > 0) {
      await step("cuts", async () => {
        result.cuts = await cutsScenario(supervisor.server, { cuts: options.cuts, key, model, concurrency: options.parallel + 2, random: seededRandom(options.seed), watchMs: 1_000 });
      });
    }
    if (options.rounds > 0) {
      await step("slow clients", async () => {
        result.slowClients = await slowClientsScenario(supervisor.server, { key, model, rounds: options.rounds, tokens: 128, stalledTokens: 512 });
      });
    }
    if (options.swaps > 0) {
      // a server of two models of its own: its memory is reported by the scenario, not sampled here
      await step("swaps", async () => {
        result.swaps = await swapsScenario({ cycles: options.swaps, key, onProgress: (cycle) => cycle % 5 === 0 && options.onProgress?.(`swaps ${cycle}/${options.swaps}`) });
      }, false);
    }
    result.memory.pidAfter = supervisor.server.pid;
    const rss = supervisor.server.rssKiB();
    if (rss !== undefined) result.memory.rssAfterKiB = rss;
    await step("SIGTERM", async () => {
      result.sigterm = await sigtermScenario(supervisor.server, { key, model, requests: options.parallel + options.maxQueue, parallel: options.parallel, maxTokens: 400, graceSeconds: options.graceSeconds });
      // SIGTERM ends the server: there is no memory after it to sample
    }, false);
  } finally {
    await supervisor.stop();
  }
  return result;
}
