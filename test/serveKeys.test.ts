import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import OpenAI from "openai";

const bin = new URL("../../bin/hermes.cjs", import.meta.url).pathname;
const dir = mkdtempSync(join(os.tmpdir(), "hermes-keys-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The child's stderr so far, and a bounded wait for a pattern in what comes after `from`. */
function watch(child: ChildProcess): { output: () => string; waitFor(pattern: RegExp, from?: number): Promise<RegExpExecArray> } {
  let output = "";
  child.stderr!.on("data", (data: Buffer) => (output += data.toString()));
  return {
    output: () => output,
    waitFor: (pattern, from = 0) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no ${pattern} within 30 s:\n${output}`)), 30_000);
        const check = (): void => {
          const match = pattern.exec(output.slice(from));
          if (match) done(undefined, match);
        };
        const exit = (): void => done(new Error(`server exited:\n${output}`));
        const done = (error?: Error, match?: RegExpExecArray): void => {
          clearTimeout(timer);
          child.stderr!.off("data", check);
          child.off("exit", exit);
          if (error) reject(error);
          else resolve(match!);
        };
        child.stderr!.on("data", check);
        child.once("exit", exit);
        check();
      }),
  };
}

test("hermes serve --api-keys: named keys with limits, re-read on SIGHUP; a file that fails to parse keeps the old keys; the access log goes to --log-file", async () => {
  const keysFile = join(dir, "keys.txt");
  const logFile = join(dir, "access.log");
  writeFileSync(keysFile, "# the team\nteam-a  sk-alpha  rpm=100 tpm=50000\n");
  const child = spawn(process.execPath, [bin, "serve", "--demo", "--port", "0", "--api-keys", keysFile, "--api-key", "sk-admin", "--log-file", logFile, "--cors-origin", "*"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const stderr = watch(child);
    const url = (await stderr.waitFor(/ready at (http:\/\/\S+)\/v1 /))[1]!;
    const client = (key: string): OpenAI => new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const model = "nousresearch/nous-hermes-llama2-13b";
    const first = await client("sk-alpha").chat.completions.create({ model, messages: [{ role: "user", content: "Hi" }], max_tokens: 2 }).withResponse();
    assert.equal(first.response.headers.get("x-ratelimit-limit-tokens"), "50000");
    await client("sk-admin").models.list();
    // --cors-origin '*': any origin's preflight is answered, without a key
    const preflight = await fetch(`${url}/v1/models`, { method: "OPTIONS", headers: { Origin: "https://any.example", "Access-Control-Request-Method": "GET" } });
    assert.deepEqual([preflight.status, preflight.headers.get("access-control-allow-origin")], [204, "*"]);

    // a broken file: the old keys stay, and stderr says why
    writeFileSync(keysFile, "team-a sk-alpha rpm=lots\n");
    let mark = stderr.output().length;
    child.kill("SIGHUP");
    assert.match((await stderr.waitFor(/not reloaded.*\n/, mark))[0], /line 1: rpm of 'team-a' must be a positive integer/);
    await client("sk-alpha").models.list();

    writeFileSync(keysFile, "team-b sk-beta rpm=7\n");
    mark = stderr.output().length;
    child.kill("SIGHUP");
    await stderr.waitFor(/reloaded, 2 keys/, mark);
    await assert.rejects(client("sk-alpha").models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError);
    const beta = await client("sk-beta").models.list().withResponse();
    assert.equal(beta.response.headers.get("x-ratelimit-limit-requests"), "7");
    await client("sk-admin").models.list();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^hermes_key_requests_total\{key="team-a"\} 2$/m, "a removed key's counters stay");
    assert.match(metrics, /^hermes_key_requests_total\{key="team-b"\} 1$/m);
    assert.match(metrics, /^hermes_key_requests_total\{key="default"\} 2$/m);

    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    const lines = readFileSync(logFile, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      lines.filter((line) => line.route !== "/metrics").map((line) => [line.key, line.route, line.status]),
      [
        ["team-a", "/v1/chat/completions", 200],
        ["default", "/v1/models", 200],
        [null, "/v1/models", 204],
        ["team-a", "/v1/models", 200],
        [null, "/v1/models", 401],
        ["team-b", "/v1/models", 200],
        ["default", "/v1/models", 200],
      ],
    );
    assert.ok(!readFileSync(logFile, "utf8").includes("sk-"), "no key in the log");
    assert.doesNotMatch(stderr.output(), /sk-(alpha|beta|admin)/, "nor on stderr");
  } finally {
    child.kill("SIGKILL");
  }
});

const badStarts: Array<[string, string[], RegExp]> = [
  ["a malformed keys file", ["--api-keys", "KEYS"], /KEYS: line 2: 'team-b' has the same key as line 1/],
  ["a missing keys file", ["--api-keys", join(dir, "none.txt")], /ENOENT|no such file/],
  ["an empty --api-key", ["--api-key", ""], /--api-key: an API key must be non-empty, without blanks/],
  ["a key given twice", ["--api-key", "sk-same", "--api-key", "sk-same"], /--api-key: the same key is given twice/],
  ["--log-file in a missing directory", ["--log-file", join(dir, "missing", "access.log")], /ENOENT/],
  ["--tls-cert without --tls-key", ["--tls-cert", "KEYS"], /--tls-cert and --tls-key go together/],
  ["a certificate that is none", ["--tls-cert", "KEYS", "--tls-key", "KEYS"], /--tls-cert\/--tls-key: /],
];
for (const [what, args, message] of badStarts) {
  test(`hermes serve with ${what}: a clear message and exit 1, before the model loads`, async () => {
    const keysFile = join(dir, `bad-${what.replace(/\W/g, "")}.txt`);
    writeFileSync(keysFile, "team-a sk-same\nteam-b sk-same\n");
    const child = spawn(process.execPath, [bin, "serve", "--demo", "--port", "0", ...args.map((arg) => arg.replace("KEYS", keysFile))], { stdio: ["ignore", "pipe", "pipe"] });
    const stderr = watch(child);
    assert.equal(await new Promise((resolve) => child.once("exit", resolve)), 1);
    assert.match(stderr.output().replace(keysFile, "KEYS"), message);
    assert.doesNotMatch(stderr.output(), /sk-same/);
    assert.doesNotMatch(stderr.output(), /loading|\n\s+at /);
  });
}

test("a refusal answered before the body is read (a wrong key on a 4 MB body) reaches the client: the body is read first, never a reset", async () => {
  const child = spawn(process.execPath, [bin, "serve", "--demo", "--port", "0", "--api-key", "sk-right"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = new URL((await watch(child).waitFor(/ready at (http:\/\/\S+)\/v1 /))[1]!);
    const payload = Buffer.from(JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(4 * 1024 * 1024) }] }));
    for (let attempt = 0; attempt < 5; attempt++) {
      const status = await new Promise<number>((resolve, reject) => {
        const headers = { "Content-Type": "application/json", "Content-Length": payload.length, Authorization: "Bearer wrong" };
        const request = http.request({ host: url.hostname, port: url.port, method: "POST", path: "/v1/chat/completions", agent: false, headers }, (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode!));
        });
        // EPIPE or ECONNRESET: the server closed the connection while the body was still being sent
        request.on("error", reject);
        request.end(payload);
      });
      assert.equal(status, 401);
    }
  } finally {
    child.kill("SIGKILL");
  }
});
