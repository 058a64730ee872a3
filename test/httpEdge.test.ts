import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import os from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { MODEL_ID, startTestServer, type TestServer } from "./helpers/testServer.js";

const execFileAsync = promisify(execFile);
const KEY = "sk-edge";
const dir = mkdtempSync(join(os.tmpdir(), "hermes-edge-"));
let cors: TestServer;
let https: TestServer;
let ca: Buffer;
before(async () => {
  // a self-signed certificate for 127.0.0.1, its own CA
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  ca = readFileSync(join(dir, "cert.pem"));
  cors = await startTestServer({ parallel: 1, apiKey: KEY, corsOrigins: ["https://app.example.com", "http://localhost:3000"] });
  https = await startTestServer({ parallel: 1, apiKey: KEY, tls: { cert: ca.toString(), key: readFileSync(join(dir, "key.pem"), "utf8") } });
});
after(async () => {
  await cors.close();
  await https.close();
  rmSync(dir, { recursive: true, force: true });
});

test("CORS: a browser's preflight is answered without a key; the API's answers let the allowed origin read them", async () => {
  const preflight = await fetch(`${cors.url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-stainless-os" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example.com");
  assert.match(preflight.headers.get("access-control-allow-methods")!, /POST/);
  assert.equal(preflight.headers.get("access-control-allow-headers"), "authorization,content-type,x-stainless-os");
  const response = await fetch(`${cors.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Origin: "http://localhost:3000", Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: MODEL_ID, messages: [{ role: "user", content: "Hi" }], max_tokens: 2 }),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("access-control-allow-origin"), "http://localhost:3000");
  const exposed = response.headers.get("access-control-expose-headers")!.split(",");
  for (const name of ["x-request-id", "x-ratelimit-remaining-tokens", "retry-after"]) assert.ok(exposed.includes(name), name);
  // errors carry the headers too, so a script can read a 401
  const denied = await fetch(`${cors.url}/v1/models`, { headers: { Origin: "http://localhost:3000" } });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("access-control-allow-origin"), "http://localhost:3000");
  // an origin not listed gets no allowance
  const other = await fetch(`${cors.url}/v1/models`, { method: "OPTIONS", headers: { Origin: "https://evil.example.com", "Access-Control-Request-Method": "GET" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
});

test("an HTTPS server does not answer plain HTTP; a request with no Origin gets no CORS headers", async () => {
  const response = await fetch(`${https.url.replace("https", "http")}/health`).catch(() => undefined);
  assert.equal(response, undefined, "an HTTPS server does not answer plain HTTP");
  const plain = await fetch(`${cors.url}/health`);
  assert.equal(plain.headers.get("access-control-allow-origin"), null, "no Origin, no CORS answer");
});

function httpsJson(url: string, body: unknown): Promise<{ status: number; body: { choices?: unknown[] } }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", ca, headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (data: Buffer) => (text += data.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) as { choices?: unknown[] } }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

test("HTTPS with --tls-cert/--tls-key: a client trusting the certificate gets its completion; one that does not is refused", async () => {
  assert.match(https.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const response = await httpsJson(`${https.url}/v1/chat/completions`, { model: MODEL_ID, messages: [{ role: "user", content: "Hi" }], max_tokens: 2 });
  assert.equal(response.status, 200);
  assert.equal(response.body.choices?.length, 1);
  // the official client, whose fetch trusts only the system's CAs, fails the handshake: the server is not plain HTTP
  await assert.rejects(https.client("/v1", KEY).models.list(), (error: unknown) => error instanceof OpenAI.APIConnectionError);
});

test("HTTPS: the official client, in a process told to trust the certificate (NODE_EXTRA_CA_CERTS), streams a completion", async () => {
  const script = `
    import OpenAI from "openai";
    const client = new OpenAI({ baseURL: process.env.BASE_URL, apiKey: process.env.KEY, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: process.env.MODEL, messages: [{ role: "user", content: "Hi" }], max_tokens: 3, stream: true });
    let finish = null;
    for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
    console.log(JSON.stringify({ finish }));
  `;
  const { stdout } = await execFileAsync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, "cert.pem"), BASE_URL: `${https.url}/v1`, KEY, MODEL: MODEL_ID },
    timeout: 30_000,
  });
  assert.match(JSON.parse(stdout.trim()).finish, /^(stop|length)$/);
});
