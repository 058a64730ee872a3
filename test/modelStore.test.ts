import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { ModelStore } from "../src/models/ModelStore.js";
import { ModelAccessError, ModelChecksumError, ModelNotCachedError, NoSuchModelFileError } from "../src/models/modelErrors.js";
import { resolveModelRef, type ResolveProgress } from "../src/models/resolveModelRef.js";
import { startTestHub, type TestHub } from "./helpers/testHub.js";
import { tinyModelPath } from "./helpers/testServer.js";

/** ipull's chunk: a cut download starts its interrupted chunk again, never more. */
const CHUNK = 5 * 2 ** 20;
const CATALOGUE_REPO = "TheBloke/Nous-Hermes-Llama2-GGUF";

let hub: TestHub;
let model: Buffer;
/** Eight of ipull's chunks: enough that a pull stopped at three quarters has whole chunks saved on every stream. */
const big = randomBytes(8 * CHUNK);
const savedEnv = { ...process.env };

before(async () => {
  model = readFileSync(tinyModelPath());
  const half = Math.floor(model.length / 2);
  hub = await startTestHub({
    // the catalogue's 13B repo, its files generated: "pull by short name" resolves through HF_ENDPOINT to here
    [CATALOGUE_REPO]: { files: { "nous-hermes-llama2-13b.Q4_K_M.gguf": model, "nous-hermes-llama2-13b.Q8_0.gguf": model } },
    "test-org/tiny-GGUF": { files: { "tiny.Q4_K_M.gguf": model, "sub/tiny.F32.gguf": model } },
    "test-org/split-GGUF": { files: { "split.Q4_0-00001-of-00002.gguf": model.subarray(0, half), "split.Q4_0-00002-of-00002.gguf": model.subarray(half) } },
    "test-org/cut-GGUF": { files: { "cut.Q4_K_M.gguf": model } },
    "test-org/resume-GGUF": { files: { "resume.Q4_K_M.gguf": big } },
    "test-org/corrupt-GGUF": { files: { "corrupt.Q4_K_M.gguf": model }, corruptByteAt: 12_345_678 },
    "test-org/gated-GGUF": { files: { "gated.Q4_K_M.gguf": model }, gatedToken: "hf_test_token" },
    "test-org/private-GGUF": { files: { "private.Q4_K_M.gguf": model }, gatedToken: "hf_test_token", private: true },
  });
});

after(async () => {
  await hub.close();
  process.env = savedEnv;
});

/** A fresh models folder, the test hub as HF_ENDPOINT and no token or offline setting from the machine. */
function freshStore(): string {
  process.env = { ...savedEnv, HF_ENDPOINT: hub.url, HF_TOKEN_PATH: join(os.tmpdir(), "hermes-no-such-token") };
  delete process.env.HF_TOKEN;
  delete process.env.HF_HUB_OFFLINE;
  delete process.env.MODEL_ENDPOINT;
  return mkdtempSync(join(os.tmpdir(), "hermes-models-"));
}

function served(): number {
  return hub.served.ranged + hub.served.whole;
}

test("hf:OWNER/REPO:QUANT downloads the file with that quantization, checks its SHA-256 and records it; the next resolve is the cache's, with no request", async () => {
  const dir = freshStore();
  try {
    const progress: ResolveProgress[] = [];
    const resolved = await resolveModelRef("hf:test-org/tiny-GGUF:q4_k_m", { modelsDir: dir, onProgress: (p) => progress.push(p) });
    assert.equal(resolved.downloaded, true);
    assert.equal(resolved.path, join(dir, "hf", "test-org", "tiny-GGUF", "tiny.Q4_K_M.gguf"));
    assert.ok(readFileSync(resolved.path).equals(model));
    assert.equal(resolved.cached?.record.checked, "sha256");
    assert.equal(resolved.cached?.record.quantization, "Q4_K_M");
    assert.ok(progress.some((p) => p.phase === "download" && p.done === model.length && p.total === model.length));
    assert.ok(progress.some((p) => p.phase === "verify" && p.done === model.length));
    assert.deepEqual(readdirSync(dir), ["hf"], "nothing left in staging");

    const requests = hub.requests.length;
    const again = await resolveModelRef("hf:test-org/tiny-GGUF:Q4_K_M", { modelsDir: dir });
    assert.equal(again.path, resolved.path);
    assert.equal(again.downloaded, false);
    assert.equal(hub.requests.length, requests, "a cached model costs no request");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("hf:OWNER/REPO/PATH.gguf downloads that file (in a folder of the repo)", async () => {
  const dir = freshStore();
  try {
    const resolved = await resolveModelRef("hf:test-org/tiny-GGUF/sub/tiny.F32.gguf", { modelsDir: dir });
    assert.equal(resolved.path, join(dir, "hf", "test-org", "tiny-GGUF", "sub", "tiny.F32.gguf"));
    assert.equal(statSync(resolved.path).size, model.length);
    assert.equal(resolved.cached?.record.quantization, "F32");
    await assert.rejects(resolveModelRef("hf:test-org/tiny-GGUF/nope.gguf", { modelsDir: dir }), (error: Error) => {
      assert.ok(error instanceof NoSuchModelFileError);
      assert.match(error.message, /test-org\/tiny-GGUF has no file nope\.gguf; its GGUF files: tiny\.Q4_K_M\.gguf, sub\/tiny\.F32\.gguf/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a catalogue short name resolves to its repo's default quantization; NAME:QUANT to another; a missing quantization lists the repo's", async () => {
  const dir = freshStore();
  try {
    const resolved = await resolveModelRef("nous-hermes-llama2-13b", { modelsDir: dir });
    assert.equal(resolved.path, join(dir, "hf", "TheBloke", "Nous-Hermes-Llama2-GGUF", "nous-hermes-llama2-13b.Q4_K_M.gguf"));
    assert.equal(resolved.cached?.record.ref, "nous-hermes-llama2-13b:Q4_K_M");
    const q8 = await resolveModelRef("nous-hermes-llama2-13b:Q8_0", { modelsDir: dir });
    assert.match(q8.path, /nous-hermes-llama2-13b\.Q8_0\.gguf$/);
    await assert.rejects(resolveModelRef("nous-hermes-llama2-13b:Q5_K_S", { modelsDir: dir }), {
      message: `${CATALOGUE_REPO} has no GGUF with quantization Q5_K_S; the repo has: Q4_K_M, Q8_0`,
    });
    await assert.rejects(resolveModelRef("hf:test-org/no-such-GGUF:Q4_K_M", { modelsDir: dir }), { message: new RegExp(`no repo test-org/no-such-GGUF on the hub at ${hub.url}`) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a split GGUF is fetched whole: every part, each checked; the path is the first part's", async () => {
  const dir = freshStore();
  try {
    const resolved = await resolveModelRef("hf:test-org/split-GGUF:Q4_0", { modelsDir: dir });
    assert.match(resolved.path, /split\.Q4_0-00001-of-00002\.gguf$/);
    assert.equal(resolved.cached?.paths.length, 2);
    assert.ok(Buffer.concat(resolved.cached!.paths.map((path) => readFileSync(path))).equals(model));
    assert.equal(resolved.cached?.bytes, model.length);
    assert.deepEqual(resolved.cached?.record.files.map((file) => file.sha256 !== undefined), [true, true]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a download cut half way resumes: the ranged bytes served stay under the file's size plus one chunk", async () => {
  const dir = freshStore();
  try {
    const ranged = hub.served.ranged;
    hub.cutAfter(Math.floor(model.length / 2));
    const resolved = await resolveModelRef("hf:test-org/cut-GGUF:Q4_K_M", { modelsDir: dir });
    assert.ok(readFileSync(resolved.path).equals(model));
    const sent = hub.served.ranged - ranged;
    assert.ok(sent < model.length + CHUNK, `${sent} bytes served for a file of ${model.length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a pull stopped half way (the process interrupted) resumes from its partial file in the next one", async () => {
  const dir = freshStore();
  try {
    const ranged = hub.served.ranged;
    const stop = new AbortController();
    let doneAtStop = 0;
    await assert.rejects(
      resolveModelRef("hf:test-org/resume-GGUF:Q4_K_M", {
        modelsDir: dir,
        signal: stop.signal,
        onProgress: (p) => {
          if (p.phase !== "download" || p.done < (big.length * 3) / 4 || stop.signal.aborted) return;
          doneAtStop = p.done;
          stop.abort(new Error("stopped"));
        },
      }),
      { message: "stopped" },
    );
    const store = new ModelStore(dir);
    assert.equal(store.find({ kind: "hf-quant", repo: "test-org/resume-GGUF", quant: "Q4_K_M", text: "" }), undefined, "a partial download is not a model");
    assert.equal(store.partials().length, 1);
    const firstRun = hub.served.ranged - ranged;
    const resolved = await resolveModelRef("hf:test-org/resume-GGUF:Q4_K_M", { modelsDir: dir });
    assert.ok(readFileSync(resolved.path).equals(big));
    // ipull saves its progress per whole chunk: the three streams' unfinished chunks are fetched again, no more
    // (and one more chunk of slack for the bytes a stream closed early had in flight); from scratch would be all 40 MiB
    const secondRun = hub.served.ranged - ranged - firstRun;
    assert.ok(secondRun < big.length - doneAtStop + 4 * CHUNK, `the second run fetched ${secondRun} of ${big.length} bytes, ${doneAtStop} done before the stop`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a corrupted byte is caught by the SHA-256: a clear error, and the file is gone", async () => {
  const dir = freshStore();
  try {
    await assert.rejects(resolveModelRef("hf:test-org/corrupt-GGUF:Q4_K_M", { modelsDir: dir }), (error: Error) => {
      assert.ok(error instanceof ModelChecksumError);
      assert.match(error.message, /corrupt\.Q4_K_M\.gguf: SHA-256 [0-9a-f]{64}, but the hub states [0-9a-f]{64}: the download is corrupt and was deleted/);
      return true;
    });
    const store = new ModelStore(dir);
    assert.deepEqual(store.list(), []);
    assert.deepEqual(store.partials(), []);
    assert.equal(existsSync(join(dir, "hf")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("offline: a cached model resolves with the hub gone; a missing one names the reference, the folder and the pull to run", async () => {
  const dir = freshStore();
  try {
    const online = await resolveModelRef("hf:test-org/tiny-GGUF:Q4_K_M", { modelsDir: dir });
    // no hub at all: nothing listens there
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    process.env.HF_ENDPOINT = `http://127.0.0.1:${port}`;
    const offline = await resolveModelRef("hf:test-org/tiny-GGUF:Q4_K_M", { modelsDir: dir, offline: true });
    assert.equal(offline.path, online.path);
    assert.equal((await resolveModelRef("hf:test-org/tiny-GGUF:Q4_K_M", { modelsDir: dir })).path, online.path, "no network needed without --offline either");
    await assert.rejects(resolveModelRef("nous-hermes-llama2-7b", { modelsDir: dir, offline: true }), (error: Error) => {
      assert.ok(error instanceof ModelNotCachedError);
      assert.equal(
        error.message,
        `nous-hermes-llama2-7b:Q4_K_M is not in the model cache (${dir}) and downloads are off (--offline): run 'hermes pull nous-hermes-llama2-7b:Q4_K_M --models-dir ${dir}' where the network is reachable`,
      );
      return true;
    });
    process.env.HF_HUB_OFFLINE = "1";
    await assert.rejects(resolveModelRef("hf:test-org/tiny-GGUF:Q8_0", { modelsDir: dir }), /downloads are off \(HF_HUB_OFFLINE\)/);
    delete process.env.HF_HUB_OFFLINE;
    await assert.rejects(resolveModelRef("hf:test-org/tiny-GGUF:Q8_0", { modelsDir: dir }), (error: Error) => {
      assert.ok(error instanceof ModelNotCachedError);
      assert.match(error.message, new RegExp(`^cannot reach the hub at http://127\\.0\\.0\\.1:${port}/ \\(ECONNREFUSED\\), and hf:test-org\/tiny-GGUF:Q8_0 is not in the model cache`));
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a gated repo's 401 (on the download) and a private one's (on the model info) become a message naming HF_TOKEN and the repo; with the token the download goes through", async () => {
  const dir = freshStore();
  try {
    for (const repo of ["test-org/gated-GGUF", "test-org/private-GGUF"]) {
      await assert.rejects(resolveModelRef(`hf:${repo}:Q4_K_M`, { modelsDir: dir }), (error: Error) => {
        assert.ok(error instanceof ModelAccessError);
        assert.match(error.message, new RegExp(`^the hub refused access to ${repo} \\(HTTP 401\\): it is gated or private \\(or does not exist\\)\\. Set HF_TOKEN`));
        return true;
      });
    }
    assert.deepEqual(new ModelStore(dir).list(), []);
    process.env.HF_TOKEN = "hf_wrong";
    await assert.rejects(resolveModelRef("hf:test-org/gated-GGUF:Q4_K_M", { modelsDir: dir }), /The token in HF_TOKEN .* cannot read it/);
    process.env.HF_TOKEN = "hf_test_token";
    for (const repo of ["test-org/gated-GGUF", "test-org/private-GGUF"]) {
      const resolved = await resolveModelRef(`hf:${repo}:Q4_K_M`, { modelsDir: dir });
      assert.ok(readFileSync(resolved.path).equals(model));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a URL is downloaded with its size checked (no hub to state a SHA-256); a 404 is said at once", async () => {
  const dir = freshStore();
  try {
    const url = `${hub.url}/test-org/tiny-GGUF/resolve/main/tiny.Q4_K_M.gguf`;
    const resolved = await resolveModelRef(url, { modelsDir: dir });
    assert.equal(resolved.cached?.record.checked, "size");
    assert.ok(readFileSync(resolved.path).equals(model));
    assert.equal(resolved.path, join(dir, "url", `127.0.0.1_${new URL(hub.url).port}`, "test-org", "tiny-GGUF", "resolve", "main", "tiny.Q4_K_M.gguf"));
    await assert.rejects(resolveModelRef(`${hub.url}/test-org/tiny-GGUF/resolve/main/missing.gguf`, { modelsDir: dir }), { message: /no file at .*missing\.gguf \(HTTP 404\)/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a path that exists is used as it is; one that does not, and parses as no reference, is 'model file not found'", async () => {
  const dir = freshStore();
  try {
    assert.equal((await resolveModelRef(tinyModelPath(), { modelsDir: dir })).path, tinyModelPath());
    await assert.rejects(resolveModelRef("/nonexistent.gguf", { modelsDir: dir }), { message: "model file not found: /nonexistent.gguf" });
    await assert.rejects(resolveModelRef("/nonexistent.gguf", { modelsDir: dir, what: "embedding model" }), { message: "embedding model file not found: /nonexistent.gguf" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const bin = new URL("../../bin/hermes.cjs", import.meta.url).pathname;

/** Runs the CLI with the test hub as HF_ENDPOINT; resolves to its exit code and output, or fails after `ms`. */
async function hermes(args: string[], ms = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

test("hermes pull shows its progress and prints the path; hermes models lists the folder; hermes rm deletes, and a second rm is an error", async () => {
  const dir = freshStore();
  try {
    const pulled = await hermes(["pull", "nous-hermes-llama2-13b:Q8_0", "--models-dir", dir]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const path = join(dir, "hf", "TheBloke", "Nous-Hermes-Llama2-GGUF", "nous-hermes-llama2-13b.Q8_0.gguf");
    assert.equal(pulled.stdout, `${path}\n`);
    assert.match(pulled.stderr, /downloading nous-hermes-llama2-13b:Q8_0: nous-hermes-llama2-13b\.Q8_0\.gguf \(17\.5 MB\) from http:\/\/127\.0\.0\.1:\d+\/TheBloke\/Nous-Hermes-Llama2-GGUF/);
    // not a terminal: a line per 10%, with bytes, and the rate and time left once known
    assert.match(pulled.stderr, /downloading nous-hermes-llama2-13b:Q8_0 100% 17\.5 MB \/ 17\.5 MB/);
    assert.match(pulled.stderr, /nous-hermes-llama2-13b:Q8_0: 17\.5 MB, SHA-256 checked, in /);
    const again = await hermes(["pull", "nous-hermes-llama2-13b:Q8_0", "--models-dir", dir, "--offline"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already in the models folder/);

    const listed = await hermes(["models", "--models-dir", dir]);
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /^NAME\s+QUANT\s+SIZE\s+CHECKED\s+PATH\nnous-hermes-llama2-13b:Q8_0\s+Q8_0\s+17\.5 MB\s+SHA-256 checked\s+\/\S+Q8_0\.gguf\n$/);
    const json = JSON.parse((await hermes(["models", "--models-dir", dir, "--json"])).stdout) as { models: Array<{ name: string; bytes: number; path: string; checked: string }> };
    assert.deepEqual(json.models.map((m) => [m.name, m.bytes, m.path, m.checked]), [["nous-hermes-llama2-13b:Q8_0", model.length, path, "sha256"]]);

    const removed = await hermes(["rm", "nous-hermes-llama2-13b:Q8_0", "--models-dir", dir]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^removed nous-hermes-llama2-13b:Q8_0: 17\.5 MB/);
    assert.equal(existsSync(path), false);
    assert.deepEqual(readdirSync(dir), [], "the emptied folders are gone too");
    const missing = await hermes(["rm", "nous-hermes-llama2-13b:Q8_0", "--models-dir", dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nous-hermes-llama2-13b:Q8_0 is not in the models folder .* \('hermes models' lists what is\)/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("hermes serve --model hf:... downloads, verifies and serves the model; a chat completion through the openai client", async () => {
  const dir = freshStore();
  const child = spawn(process.execPath, [bin, "serve", "--model", "hf:test-org/tiny-GGUF:Q4_K_M", "--models-dir", dir, "--port", "0", "--threads", "1"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: process.env,
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`not ready within 60 s:\n${output}`)), 60_000);
      child.stderr.on("data", (data: Buffer) => {
        output += data.toString();
        const match = /ready at (http:\/\/\S+)\/v1 /.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once("exit", (code) => reject(new Error(`server exited (${code}) before it was ready:\n${output}`)));
    });
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 60_000 });
    const completion = await openai.chat.completions.create({ model: "tiny.Q4_K_M", messages: [{ role: "user", content: "Hi there!" }], max_tokens: 4 });
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.usage?.completion_tokens, 4);
    assert.ok(existsSync(join(dir, "hf", "test-org", "tiny-GGUF", "tiny.Q4_K_M.gguf.hermes.json")));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
