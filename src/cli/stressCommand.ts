import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { renderStressReport } from "../stress/renderStressReport.js";
import { runStress } from "../stress/runStress.js";
import { numberFlag } from "./numberFlag.js";

export const stressUsage = `hermes stress [--fuzz N] [--clients N] [--cuts N] [--rounds N] [--swaps N] [--seed N] [--out DIR]

Starts 'hermes serve --demo' on 127.0.0.1 (--parallel 2 --max-queue 4 --api-key) and measures its reliability:
N fuzzed malformed and hostile requests over every route (default 10000), N concurrent clients against the
2 slots (default 200), N streams cut at random points (default 1000), N rounds of a normal stream's decode speed
with and without a slowloris and a stalled reader (default 3), SIGTERM under load, and the server's RSS
before the run and after each scenario; and, on a server of two models of its own (--models-max 1), N cycles
of loading and unloading them (default 20), with its RSS after each.
0 skips a scenario. Prints the Reliability table (markdown) and writes the JSON to DIR (default stress/results).`;

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

export async function stressCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      fuzz: { type: "string", default: "10000" },
      clients: { type: "string", default: "200" },
      cuts: { type: "string", default: "1000" },
      rounds: { type: "string", default: "3" },
      swaps: { type: "string", default: "20" },
      seed: { type: "string", default: "1" },
      out: { type: "string", default: join("stress", "results") },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(stressUsage);
    return 0;
  }
  const options = {
    fuzz: numberFlag(values.fuzz, "--fuzz", "non-negative"),
    clients: numberFlag(values.clients, "--clients", "non-negative"),
    cuts: numberFlag(values.cuts, "--cuts", "non-negative"),
    rounds: numberFlag(values.rounds, "--rounds", "non-negative"),
    swaps: numberFlag(values.swaps, "--swaps", "non-negative"),
    seed: numberFlag(values.seed, "--seed", "non-negative"),
    parallel: 2,
    maxQueue: 4,
    apiKey: "stress-key",
    model: "nousresearch/nous-hermes-llama2-13b",
    graceSeconds: 30,
  };
  const command = `hermes stress --fuzz ${options.fuzz} --clients ${options.clients} --cuts ${options.cuts} --rounds ${options.rounds} --swaps ${options.swaps} --seed ${options.seed}`;
  console.error(`${command}: server hermes serve --demo --parallel ${options.parallel} --max-queue ${options.maxQueue} --api-key ${options.apiKey}`);
  const report = await runStress(
    { ...options, onProgress: (what) => console.error(`stress: ${what}`) },
    {
      date: new Date().toISOString(),
      commit: gitCommit(),
      command,
      machine: { cpu: os.cpus()[0]?.model.trim() ?? "unknown", cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.versions.node },
    },
  );
  mkdirSync(values.out, { recursive: true });
  const file = join(values.out, `${report.date.replace(/[:.]/g, "-")}-${report.commit}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(renderStressReport(report));
  console.log(`\nJSON: ${file}`);
  return 0;
}
