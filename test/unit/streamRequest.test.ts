import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { streamRequest } from "../../src/bench/streamRequest.js";

/** A server answering every POST with `writes`, each written (and flushed) as a separate network chunk. */
async function sseServer(writes: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", async () => {
      response.writeHead(200, { "Content-Type": "text/event-stream" });
      for (const text of writes) await new Promise<void>((resolve) => response.write(text, () => resolve()));
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/completions`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const chunk = (text: string, finish: string | null = null): string => JSON.stringify({ choices: [{ text, finish_reason: finish }] });
const usage = JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 3 } } });

test("streamRequest reads events split across network chunks, spread over several data lines, with CRLF framing", async () => {
  const json = chunk("lo");
  const server = await sseServer([
    `data: ${chunk("Hel")}\n\ndata: ${json.slice(0, 10)}`,
    `${json.slice(10)}\n\n`,
    // one event in two data lines (the parser joins them with a newline: still the same JSON)
    `data: {"choices": [{"text": "",\ndata: "finish_reason": "length"}]}\r\n\r\n`,
    `: a comment line\n\ndata: ${usage}\n\ndata: [DONE]\n\n`,
  ]);
  try {
    const timing = await streamRequest(server.url, { prompt: "x" });
    assert.equal(timing.textAt.length, 2, "two chunks carried text");
    assert.ok(timing.firstTokenAt >= timing.sentAt);
    assert.equal(timing.firstTokenAt, timing.textAt[0]);
    assert.deepEqual([timing.promptTokens, timing.completionTokens, timing.cachedTokens], [5, 2, 3]);
  } finally {
    await server.close();
  }
});

test("streamRequest rejects on an error event, and on an HTTP error with its body", async () => {
  const failing = await sseServer([`data: ${chunk("a")}\n\n`, `data: {"error": {"message": "the engine failed"}}\n\n`]);
  try {
    await assert.rejects(streamRequest(failing.url, { prompt: "x" }), /the engine failed/);
  } finally {
    await failing.close();
  }
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(429, { "Content-Type": "application/json" }).end('{"error":{"message":"slow down"}}'));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await assert.rejects(streamRequest(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/completions`, {}), /HTTP 429 .*slow down/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test("streamRequest sends the key, gathers the text, and counts text chunks when the server sends no usage", async () => {
  let authorization: string | undefined;
  const server = http.createServer((request, response) => {
    authorization = request.headers.authorization;
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "Content-Type": "text/event-stream" });
      const delta = (content: string) => JSON.stringify({ choices: [{ delta: { content }, finish_reason: null }] });
      response.end(`data: ${delta("Hel")}\n\ndata: ${delta("lo")}\n\ndata: ${delta("!")}\n\ndata: [DONE]\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
    const timing = await streamRequest(url, {}, { apiKey: "k" });
    assert.equal(authorization, "Bearer k");
    assert.equal(timing.text, "Hello!");
    assert.equal(timing.usageReported, false);
    assert.deepEqual([timing.promptTokens, timing.completionTokens, timing.cachedTokens], [0, 3, undefined]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test("streamRequest fails, naming the URL, when the server goes silent or never finishes", async () => {
  // headers, then nothing; and keep-alive comments forever
  const server = http.createServer((request, response) => {
    request.resume();
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    response.write(": open\n\n");
    if (request.url === "/chatty") {
      const timer = setInterval(() => response.write(": ping\n\n"), 20);
      response.on("close", () => clearInterval(timer));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await assert.rejects(streamRequest(`${origin}/silent`, {}, { idleTimeoutMs: 200 }), new RegExp(`^Error: ${origin}/silent: nothing received for 0.2 s`));
    await assert.rejects(streamRequest(`${origin}/chatty`, {}, { idleTimeoutMs: 200, totalTimeoutMs: 400 }), /chatty: no complete answer within 0.4 s/);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
