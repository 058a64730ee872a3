import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { startHermes, type Hermes } from "../src/cli/startHermes.js";
import { modelsInFolder } from "../src/models/modelsInFolder.js";
import { ApiKeyRegistry } from "../src/server/ApiKeyRegistry.js";
import { postJson } from "./helpers/testServer.js";
import { waitUntil } from "./helpers/waitUntil.js";
import { generatedModel } from "./helpers/generatedModel.js";

/** Three generated models, each with its own name (the id it is served under). */
function models(): Record<"a" | "b" | "c", string> {
  const model = (name: string): string => generatedModel(`fleet-${name}.gguf`, { shape: "tiny", type: "f32", seed: name.charCodeAt(0), name: `fleet-${name}` });
  return { a: model("a"), b: model("b"), c: model("c") };
}

const KEY = "fleet-key";
const MiB = 2 ** 20;

interface Health {
  models: Array<{ id: string; status: string; loads: number; unloads: number }>;
}
interface ModelsList {
  data: Array<{ id: string; context_size: number; status: { value: string } }>;
}

async function json<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  return { status: response.status, body: (await response.json()) as T };
}

function statuses(list: ModelsList): Record<string, string> {
  return Object.fromEntries(list.data.map((m) => [m.id, m.status.value]));
}

/** The value of one sample of the exposition, by its name and labels as written. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("several models in one process: loaded on demand, the least recently used unloaded, refused loads a 503", () => {
  let hermes: Hermes;
  let client: OpenAI;
  /** The fleet's memory seam: what the next load may take. */
  let available = 64 * 1024 * MiB;
  const paths = models();
  const log: string[] = [];

  before(async () => {
    const common = { parallel: 2, threads: 1, contextSize: 512 };
    hermes = await startHermes({
      models: [
        { ...common, modelPath: paths.a },
        { ...common, modelPath: paths.b },
        { ...common, modelPath: paths.c },
        // far too large a context for the memory the test says there is: its load is refused
        { ...common, modelPath: paths.c, alias: "fleet-huge", contextSize: 1 << 20 },
      ],
      fleet: { maxLoaded: 2, availableMemory: () => available, log: (line) => log.push(line) },
      moderation: { mode: "off" },
      server: { host: "127.0.0.1", port: 0, apiKeys: new ApiKeyRegistry([{ name: "ops", key: KEY }]) },
    });
    client = new OpenAI({ baseURL: `${hermes.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 60_000 });
  });
  after(async () => {
    await hermes.dispose();
  });

  const auth = { authorization: `Bearer ${KEY}` };
  const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: "user", content: `hello ${model}` }], max_tokens: 4, temperature: 0 });

  test("/v1/models lists every model, loaded or not, with its status and context size; only the first is loaded at start", async () => {
    const list = (await client.models.list()).data as unknown as ModelsList["data"];
    assert.deepEqual(
      list.map((m) => m.id),
      ["fleet-a", "fleet-b", "fleet-c", "fleet-huge"],
    );
    assert.deepEqual(statuses({ data: list }), { "fleet-a": "loaded", "fleet-b": "unloaded", "fleet-c": "unloaded", "fleet-huge": "unloaded" });
    for (const model of list) assert.equal(model.context_size, model.id === "fleet-huge" ? 1 << 20 : 512);
    const one = await client.models.retrieve("fleet-b");
    assert.equal((one as unknown as ModelsList["data"][number]).status.value, "unloaded");
  });

  test("requests to two models interleaved: the second loads once, while the requests wait, and both answer", async () => {
    const asked = ["fleet-a", "fleet-b", "fleet-a", "fleet-b", "fleet-b", "fleet-a"];
    const answers = await Promise.all(asked.map((model) => ask(model)));
    assert.deepEqual(
      answers.map((answer) => answer.model),
      asked,
    );
    for (const answer of answers) assert.ok(answer.usage!.completion_tokens > 0);
    const health = (await json<Health>(`${hermes.url}/health`)).body;
    const b = health.models.find((m) => m.id === "fleet-b")!;
    assert.equal(b.status, "loaded");
    assert.equal(b.loads, 1, "three requests waited for one load");
  });

  test("a third model, with --models-max 2: the least recently used is unloaded for it; /v1/models and /metrics say so", async () => {
    await ask("fleet-b");
    await ask("fleet-a"); // b is now the least recently used
    const answer = await ask("fleet-c");
    assert.equal(answer.model, "fleet-c");
    const list = (await json<ModelsList>(`${hermes.url}/v1/models`, { headers: auth })).body;
    assert.deepEqual(statuses(list), { "fleet-a": "loaded", "fleet-b": "unloaded", "fleet-c": "loaded", "fleet-huge": "unloaded" });
    const metrics = await (await fetch(`${hermes.url}/metrics`)).text();
    assert.equal(sample(metrics, 'hermes_model_loaded{model="fleet-b"}'), 0);
    assert.equal(sample(metrics, 'hermes_model_loaded{model="fleet-c"}'), 1);
    assert.equal(sample(metrics, 'hermes_model_unloads_total{model="fleet-b"}'), 1);
    assert.equal(sample(metrics, 'hermes_model_loads_total{model="fleet-c"}'), 1);
    assert.ok(sample(metrics, 'hermes_requests_total{model="fleet-a"}')! >= 4, "each loaded model's engine counters, labelled");
    assert.equal(sample(metrics, 'hermes_requests_total{model="fleet-c"}'), 1);
    assert.equal(sample(metrics, 'hermes_requests_total{model="fleet-b"}'), undefined, "an unloaded model has no engine series");
    assert.ok(log.some((line) => /fleet-b.*make room for fleet-c/.test(line)), log.join("\n"));
  });

  test("a load that cannot fit in the memory left is a 503 model_unavailable naming the model and the memory, and the others keep serving", async () => {
    available = 512 * MiB;
    try {
      const refused = await postJson(`${hermes.url}/v1/chat/completions`, { model: "fleet-huge", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }, auth);
      assert.equal(refused.status, 503);
      const body = (await refused.json()) as { error: { code: string; type: string; param: string; message: string } };
      assert.equal(body.error.code, "model_unavailable");
      assert.equal(body.error.param, "model");
      assert.match(body.error.message, /'fleet-huge' needs about \d+ MiB of memory/);
      assert.ok(refused.headers.get("retry-after"));
      // nothing was unloaded to try
      const list = (await json<ModelsList>(`${hermes.url}/v1/models`, { headers: auth })).body;
      assert.deepEqual(statuses(list), { "fleet-a": "loaded", "fleet-b": "unloaded", "fleet-c": "loaded", "fleet-huge": "unloaded" });
      const [a, c] = await Promise.all([ask("fleet-a"), ask("fleet-c")]);
      assert.equal(a.model, "fleet-a");
      assert.equal(c.model, "fleet-c");
      const health = (await json<Health & { status: string }>(`${hermes.url}/health`)).body;
      assert.equal(health.status, "ok");
      assert.match(JSON.stringify(health.models.find((m) => m.id === "fleet-huge")), /needs about/);
    } finally {
      available = 64 * 1024 * MiB;
    }
  });

  test("when every loaded model is in use, a load that would need to unload one is a 503: a busy model is never unloaded", async () => {
    const holders = ["fleet-a", "fleet-c"].map(() => new AbortController());
    const streams = await Promise.all(
      ["fleet-a", "fleet-c"].map((model, i) =>
        postJson(`${hermes.url}/v1/chat/completions`, { model, messages: [{ role: "user", content: "go on" }], max_tokens: 400, stream: true }, auth, holders[i]!.signal),
      ),
    );
    try {
      for (const stream of streams) {
        assert.equal(stream.status, 200);
        await stream.body!.getReader().read(); // running
      }
      const refused = await postJson(`${hermes.url}/v1/chat/completions`, { model: "fleet-b", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }, auth);
      assert.equal(refused.status, 503);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "model_unavailable");
      assert.match(body.error.message, /in use/);
    } finally {
      for (const holder of holders) holder.abort();
    }
    // once they are done, the load goes ahead
    await waitUntil(() => hermes.models.models.every((m) => m.leases === 0), "the cancelled streams released their models", 15_000);
    assert.equal((await ask("fleet-b")).model, "fleet-b");
  });

  test("requests for a model while it is unloaded to make room wait for the unload and load it again (or get the busy 503); none hangs", async () => {
    await ask("fleet-a");
    await ask("fleet-b"); // a and b loaded, c not (at most 2), a the least recently used
    const a = hermes.models.find("fleet-a");
    const unloadsBefore = a.counters.unloads;
    const tolerate = (model: string) =>
      ask(model).then(
        (answer) => answer.model,
        (error: { status?: number; code?: string }) => (error.status === 503 && error.code === "model_unavailable" ? "503" : Promise.reject(error as Error)),
      );
    const forC = ask("fleet-c");
    // c's load unloads a: requests for a from then on wait for that unload, then for a load of their own (which
    // finds b and c answering, or not: a 503 model_unavailable a client retries)
    await waitUntil(() => a.status !== "loaded", "a is being unloaded for c", 15_000);
    const outcomes = await Promise.all([tolerate("fleet-a"), tolerate("fleet-a"), tolerate("fleet-b")]);
    assert.equal((await forC).model, "fleet-c");
    outcomes.forEach((outcome, i) => assert.ok(outcome === ["fleet-a", "fleet-a", "fleet-b"][i] || outcome === "503", outcome));
    assert.equal(a.counters.unloads, unloadsBefore + 1, "a was unloaded for c");
    assert.ok(hermes.models.models.filter((m) => m.status === "loaded").length <= 2, "never more than --models-max loaded");
  });

  test("a load that must unload two models: a request for the second while the first is unloaded waits for it (answered or a busy 503), never spins", async () => {
    await ask("fleet-a");
    await ask("fleet-b"); // a and b loaded, c not
    const [a, b, c] = ["fleet-a", "fleet-b", "fleet-c"].map((id) => hermes.models.find(id));
    const need = c!.outline.memoryBytes;
    // so little memory left that c fits only once both a and b are unloaded
    available = -need / 2;
    try {
      const forC = ask("fleet-c");
      await waitUntil(() => a!.status !== "loaded", "a is being unloaded for c", 15_000);
      const forB = ask("fleet-b").then(
        (answer) => answer.model,
        (error: { status?: number; code?: string }) => (error.status === 503 && error.code === "model_unavailable" ? "503" : Promise.reject(error as Error)),
      );
      assert.equal((await forC).model, "fleet-c");
      assert.ok(["fleet-b", "503"].includes(await forB));
      assert.ok(b!.counters.unloads >= 1 && c!.status === "loaded");
    } finally {
      available = 64 * 1024 * MiB;
    }
  });

  test("POST /models/unload and /models/load (llama-server's router routes) behind the key; unknown models are 404s listing the served ids", async () => {
    const noKey = await postJson(`${hermes.url}/models/unload`, { model: "fleet-a" });
    assert.equal(noKey.status, 401);
    const unloaded = await json<{ success: boolean; model: { id: string; status: { value: string } } }>(`${hermes.url}/models/unload`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: "fleet-a" }),
    });
    assert.equal(unloaded.status, 200);
    assert.deepEqual([unloaded.body.success, unloaded.body.model.id, unloaded.body.model.status.value], [true, "fleet-a", "unloaded"]);
    const loaded = await json<{ model: { status: { value: string } } }>(`${hermes.url}/models/load`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: "fleet-a" }),
    });
    assert.equal(loaded.status, 200);
    assert.equal(loaded.body.model.status.value, "loaded");

    const unknown = await postJson(`${hermes.url}/models/load`, { model: "gpt-4" }, auth);
    assert.equal(unknown.status, 404);
    const chat = await postJson(`${hermes.url}/v1/chat/completions`, { model: "gpt-4", messages: [{ role: "user", content: "hi" }] }, auth);
    assert.equal(chat.status, 404);
    const error = ((await chat.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, "model_not_found");
    assert.match(error.message, /This server serves: fleet-a, fleet-b, fleet-c, fleet-huge\./);
    const invalid = await postJson(`${hermes.url}/models/load`, { model: "" }, auth);
    assert.equal(invalid.status, 400);
  });
});

test("--idle-unload: a model no request uses is unloaded after the idle time, and loaded again by the next request", async () => {
  const paths = models();
  const hermes = await startHermes({
    models: [{ modelPath: paths.a, parallel: 1, threads: 1, contextSize: 256 }],
    fleet: { idleUnloadMs: 300 },
    moderation: { mode: "off" },
    server: { host: "127.0.0.1", port: 0 },
  });
  try {
    const model = hermes.models.models[0]!;
    await waitUntil(() => model.status === "unloaded", "the idle model was unloaded", 15_000);
    const client = new OpenAI({ baseURL: `${hermes.url}/v1`, apiKey: "none", maxRetries: 0, timeout: 60_000 });
    const answer = await client.completions.create({ model: "fleet-a", prompt: "Once", max_tokens: 3 });
    assert.equal(answer.model, "fleet-a");
    assert.equal(model.counters.loads, 2);
    assert.equal(model.counters.unloads, 1);
  } finally {
    await hermes.dispose();
  }
});

test("hermes serve --models-dir DIR serves every GGUF in it (top level, a folder each; a split model by its first part), and only those", async () => {
  const paths = models();
  const dir = mkdtempSync(join(os.tmpdir(), "hermes-models-dir-"));
  copyFileSync(paths.a, join(dir, "fleet-a.gguf"));
  mkdirSync(join(dir, "b"));
  copyFileSync(paths.b, join(dir, "b", "fleet-b.gguf"));
  // not models: a second part of a split file, a download in progress, a file that is no GGUF
  writeFileSync(join(dir, "other-00002-of-00002.gguf"), "");
  mkdirSync(join(dir, ".partial"));
  writeFileSync(join(dir, ".partial", "half.gguf"), "");
  writeFileSync(join(dir, "notes.txt"), "");
  assert.deepEqual(modelsInFolder(dir), [join(dir, "b", "fleet-b.gguf"), join(dir, "fleet-a.gguf")]);

  const child = spawn(process.execPath, [fileURLToPath(new URL("../../bin/hermes.cjs", import.meta.url)), "serve", "--models-dir", dir, "--port", "0", "--threads", "1", "--ctx-size", "256"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`not ready within 60 s:\n${output}`)), 60_000);
      const read = (data: Buffer): void => {
        output += data.toString();
        const match = /ready at (http:\/\/\S+\/v1)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout!.on("data", read);
      child.stderr!.on("data", read);
      child.once("exit", (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    const client = new OpenAI({ baseURL: url, apiKey: "none", maxRetries: 0, timeout: 60_000 });
    const listed = (await client.models.list()).data.map((m) => m.id);
    assert.deepEqual(listed, ["fleet-b", "fleet-a"]);
    const answer = await client.chat.completions.create({ model: "fleet-a", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    assert.equal(answer.model, "fleet-a");
  } finally {
    child.kill("SIGKILL");
  }
});
