import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { benchModelPath } from "../src/cli/benchCommand.js";

const HERMES = fileURLToPath(new URL("../../bin/hermes.cjs", import.meta.url));

test("while its model loads, the server already listens: /health 503 loading, /health/live 200, API requests 503 server_loading; then 200", { timeout: 180_000 }, async () => {
  // the 1B shape with --threads auto: its load (and the thread measurement) takes seconds, a window to look into
  const child = spawn(process.execPath, [HERMES, "serve", "--model", benchModelPath({ shape: "1b", type: "q4_0" }), "--port", "0", "--ctx-size", "512"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const seen = (pattern: RegExp, what: string): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within 120 s:\n${output}`)), 120_000);
      const check = (): void => {
        const match = pattern.exec(output);
        if (!match) return;
        clearTimeout(timer);
        child.stderr!.off("data", check);
        resolve(match);
      };
      child.stderr!.on("data", check);
      check();
    });
  child.stdout!.on("data", (data: Buffer) => (output += data.toString()));
  child.stderr!.on("data", (data: Buffer) => (output += data.toString()));
  try {
    const [, url] = await seen(/listening at (http:\/\/\S+):/, "listening line");
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 503);
    assert.deepEqual(await health.json(), { status: "loading" });
    assert.equal((await fetch(`${url}/health/live`)).status, 200);
    const chat = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "bench-1b", messages: [{ role: "user", content: "hi" }] }) });
    assert.equal(chat.status, 503);
    assert.equal(chat.headers.get("retry-after"), "1");
    assert.equal(((await chat.json()) as { error: { code: string } }).error.code, "server_loading");
    assert.doesNotMatch(output, /ready at/, "all of this while the model was still loading");

    await seen(/ready at http:\/\/\S+\/v1/, "ready line");
    const ready = await fetch(`${url}/health`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, "ok");
  } finally {
    child.kill("SIGKILL");
  }
});
