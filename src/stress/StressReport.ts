import type { CutsResult } from "./cutsScenario.js";
import type { FuzzResult } from "./fuzzScenario.js";
import type { OverloadResult } from "./overloadScenario.js";
import type { ServerRestart } from "./ServerSupervisor.js";
import type { SigtermResult } from "./sigtermScenario.js";
import type { SlowClientsResult } from "./slowClientsScenario.js";
import type { SwapsResult } from "./swapsScenario.js";

/** What `hermes stress` writes to stress/results/: the run's settings and every scenario's figures and violations. */
export interface StressReport {
  date: string;
  commit: string;
  /** The command that produced the report, and the server's own arguments. */
  command: string;
  serverArgs: string[];
  machine: { cpu: string; cores: number; memoryGiB: number; node: string };
  fuzz?: FuzzResult;
  overload?: OverloadResult;
  cuts?: CutsResult;
  slowClients?: SlowClientsResult;
  sigterm?: SigtermResult;
  swaps?: SwapsResult;
  /**
   * The server's RSS before the first scenario and after the last one that leaves it running (KiB), and after each
   * scenario that ran, so growth can be attributed to one.
   */
  memory: { rssBeforeKiB?: number; rssAfterKiB?: number; pidBefore: number; pidAfter?: number; afterScenarios: MemorySample[] };
  /** Every time the server had to be restarted (it died or stalled), with why. */
  restarts: ServerRestart[];
  /** A scenario that could not run, and why. */
  errors: string[];
}

/** The server's resident memory right after one scenario. */
export interface MemorySample {
  /** The scenario that had just ended: "fuzz", "overload", "cuts" or "slow clients". */
  scenario: string;
  pid: number;
  /**
   * Another process than at the previous sample (or before the run): the server died or stalled and was restarted
   * in between (by the fuzz, or before a scenario), so this RSS is not growth of the previous one.
   */
  restarted: boolean;
  /** KiB; absent when the process was gone. */
  rssKiB?: number;
}

/** One row of the Reliability table. */
export interface StressCheck {
  scenario: string;
  figure: string;
  expected: string;
  measured: string;
  /** undefined for a figure reported without a bound. */
  met?: boolean;
}
