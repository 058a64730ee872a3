import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { synthesizeLlamaModel } from "../src/gguf/synthesizeLlamaModel.js";

/**
 * The model store's measurements (README): download throughput of a generated 1B-shape Q4_0 GGUF (620 MB) from the
 * local hub (in a process of its own) through `hermes pull` against `curl -L -o` of the same URL, rounds
 * alternating, over loopback and over a link paced at `--paced` MB/s; and the time to ready of `hermes serve`
 * given the cached model's short name against the same file's path.
 *
 *   npm run build && node dist/bench/modelDownload.js [--rounds 3] [--paced 50]
 */
const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" }, paced: { type: "string", default: "50" } } });
const rounds = Number(values.rounds);
/** The second comparison's link, MB/s: 50 = 400 Mbit/s, a fast home or office connection. */
const paced = Number(values.paced);
const root = new URL("../../", import.meta.url).pathname;
const bin = join(root, "bin", "hermes.cjs");

function modelFile(): string {
  const dir = join(os.tmpdir(), "hermes-serve");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "bench-1b-q4_0-v1.gguf");
  if (!existsSync(path)) {
    synthesizeLlamaModel({ shape: "1b", type: "q4_0", out: `${path}.${process.pid}`, seed: 1, name: "bench-1b" });
    renameSync(`${path}.${process.pid}`, path);
  }
  return path;
}

/** Starts `command`, resolves with the seconds until `ready` matches its stderr (or its exit); fails after 10 min. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv, ready?: RegExp): Promise<{ seconds: number; child: ChildProcess; stderr: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(" ")}: no end within 10 min`)), 600_000);
    const done = (): void => {
      clearTimeout(timer);
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, child, stderr });
    };
    child.stderr!.on("data", (data: Buffer) => {
      stderr += data.toString();
      if (ready?.test(stderr)) done();
    });
    child.once("exit", (code) => (code === 0 || ready ? done() : reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${stderr}`))));
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Starts the hub process (paced at `rate` MB/s when given); resolves to its URL and a stop function. */
async function startHub(file: string, rate?: number): Promise<{ url: string; stop: () => void }> {
  const hub = spawn(process.execPath, [join(root, "dist", "bench", "hubProcess.js"), file, ...(rate === undefined ? [] : [String(rate)])], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve) => hub.stdout!.once("data", (data: Buffer) => resolve(data.toString().trim())));
  return { url, stop: () => void hub.kill("SIGTERM") };
}

/** Download rates in MB/s from the hub at `hubUrl`, rounds alternating: curl, hermes pull's download, the whole pull. */
async function compareDownloads(hubUrl: string, size: number, work: string): Promise<{ curl: number[]; download: number[]; pull: number[] }> {
  const env = { ...process.env, HF_ENDPOINT: hubUrl };
  const url = `${hubUrl}/TheBloke/Nous-Hermes-Llama2-GGUF/resolve/main/nous-hermes-llama2-13b.Q4_K_M.gguf`;
  const rates = { curl: [] as number[], download: [] as number[], pull: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const curlOut = join(work, "curl.gguf");
    const curl = await timed("curl", ["-sS", "-L", "-o", curlOut, url], env);
    if (statSync(curlOut).size !== size) throw new Error("curl fetched a different size");
    rmSync(curlOut);
    rates.curl.push(size / curl.seconds / 1e6);
    // one pull: its download ends where the SHA-256 check starts, the pull where the process exits
    const models = join(work, `models-${round}`);
    const started = process.hrtime.bigint();
    const download = await timed(process.execPath, [bin, "pull", "nous-hermes-llama2-13b", "--models-dir", models], env, /checking SHA-256/);
    if (download.child.exitCode === null) await new Promise((resolve) => download.child.once("exit", resolve));
    if (download.child.exitCode !== 0) throw new Error(`hermes pull failed:\n${download.stderr}`);
    rates.download.push(size / download.seconds / 1e6);
    rates.pull.push(size / (Number(process.hrtime.bigint() - started) / 1e9) / 1e6);
    rmSync(models, { recursive: true, force: true });
    console.error(`round ${round + 1}: curl ${rates.curl.at(-1)!.toFixed(0)} MB/s, hermes pull download ${rates.download.at(-1)!.toFixed(0)} MB/s, with the SHA-256 check ${rates.pull.at(-1)!.toFixed(0)} MB/s`);
  }
  return rates;
}

const file = modelFile();
const size = statSync(file).size;
const work = mkdtempSync(join(os.tmpdir(), "hermes-download-bench-"));
const rows: string[] = [];
const rateRows = (link: string, rates: { curl: number[]; download: number[]; pull: number[] }): void => {
  const curl = median(rates.curl);
  rows.push(`| ${link}: curl -L -o | ${curl.toFixed(0)} MB/s |`);
  rows.push(`| ${link}: hermes pull, download | ${median(rates.download).toFixed(0)} MB/s (${(median(rates.download) / curl).toFixed(2)}x curl) |`);
  rows.push(`| ${link}: hermes pull, download + SHA-256 check | ${median(rates.pull).toFixed(0)} MB/s (${(median(rates.pull) / curl).toFixed(2)}x curl) |`);
};
try {
  for (const rate of [undefined, paced]) {
    const hub = await startHub(file, rate);
    try {
      rateRows(rate === undefined ? "loopback" : `link of ${rate} MB/s`, await compareDownloads(hub.url, size, work));
    } finally {
      hub.stop();
    }
  }

  // time to ready: the cached model by its short name against its file's path, rounds alternating (no network)
  const hub = await startHub(file);
  const cache = join(work, "cache");
  try {
    await timed(process.execPath, [bin, "pull", "nous-hermes-llama2-13b", "--models-dir", cache], { ...process.env, HF_ENDPOINT: hub.url });
  } finally {
    hub.stop();
  }
  const cachedPath = join(cache, "hf", "TheBloke", "Nous-Hermes-Llama2-GGUF", "nous-hermes-llama2-13b.Q4_K_M.gguf");
  const serve = ["serve", "--port", "0", "--threads", "1", "--parallel", "1", "--cache-ram", "0", "--models-dir", cache, "--offline"];
  const byRef: number[] = [];
  const byPath: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [model, into] of [["nous-hermes-llama2-13b", byRef], [cachedPath, byPath]] as const) {
      const started = await timed(process.execPath, [bin, ...serve, "--model", model], process.env, /ready at /);
      into.push(started.seconds);
      const exited = new Promise((resolve) => started.child.once("exit", resolve));
      started.child.kill("SIGTERM");
      await exited;
    }
  }
  rows.push(`| serve, time to ready, cached short name | ${median(byRef).toFixed(2)} s (${byRef.map((s) => s.toFixed(2)).join(", ")}) |`);
  rows.push(`| serve, time to ready, path | ${median(byPath).toFixed(2)} s (${byPath.map((s) => s.toFixed(2)).join(", ")}) |`);
  console.log(`model: ${file} (${(size / 1e6).toFixed(0)} MB), CPU: ${os.cpus()[0]?.model.trim()} x ${os.availableParallelism()}, ${rounds} rounds, medians`);
  console.log(["| measure | value |", "|---|---|", ...rows].join("\n"));
} finally {
  rmSync(work, { recursive: true, force: true });
}
