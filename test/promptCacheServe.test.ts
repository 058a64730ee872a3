import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";

const bin = new URL("../../bin/hermes.cjs", import.meta.url).pathname;
const dir = mkdtempSync(join(os.tmpdir(), "hermes-cache-dir-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `hermes serve --demo` with one slot and a disk tier in `dir`; resolves with its URL and ready line. */
async function serve(): Promise<{ child: ChildProcess; url: string; ready: string }> {
  const child = spawn(process.execPath, [bin, "serve", "--demo", "--port", "0", "--parallel", "1", "--cache-ram", "64", "--cache-dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr!.on("data", (data: Buffer) => {
      output += data.toString();
      const match = /ready at (http:\/\/\S+)\/v1 .*prompt cache 64 MiB RAM \+ \d+ MiB in \S+ \((\d+) states? found\)/.exec(output);
      if (match) resolve(match);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, url: ready[1]!, ready: ready[0] };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  assert.equal(await exited, 0);
}

const system = (topic: string): ChatCompletionMessageParam => ({
  role: "system",
  content: `You are a guide to ${topic}. ${Array.from({ length: 250 }, (_, i) => ["rivers", "stones", "lamps", "orbits", "maples", "signals"][(i * 5 + topic.length) % 6]).join(" ")}.`,
});

test("hermes serve --cache-dir: states kept at the drain are found after a restart and restored for a returning conversation (cached_tokens, /metrics, /health)", { timeout: 120_000 }, async () => {
  const first = await serve();
  assert.match(first.ready, /\(0 states found\)/);
  const conversation: ChatCompletionMessageParam[] = [system("harbors"), { role: "user", content: "Where do the boats go?" }];
  try {
    const client = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: "none", maxRetries: 0, timeout: 30_000 });
    const answer = await client.chat.completions.create({ model: "nousresearch/nous-hermes-llama2-13b", messages: conversation, max_tokens: 6, temperature: 0 });
    conversation.push({ role: "assistant", content: answer.choices[0]!.message.content ?? "" }, { role: "user", content: "And then?" });
    // another conversation takes the only slot: the first one's state is kept
    await client.chat.completions.create({ model: "nousresearch/nous-hermes-llama2-13b", messages: [system("meadows"), { role: "user", content: "Hello" }], max_tokens: 6 });
  } finally {
    await stop(first.child);
  }

  const second = await serve();
  try {
    assert.match(second.ready, /\(2 states found\)/, "both conversations were written to the disk tier at the drain");
    const client = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: "none", maxRetries: 0, timeout: 30_000 });
    const returning = await client.chat.completions.create({ model: "nousresearch/nous-hermes-llama2-13b", messages: conversation, max_tokens: 6, temperature: 0 });
    const cached = returning.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    assert.ok(cached > 100, `cached_tokens ${cached} of ${returning.usage?.prompt_tokens}`);

    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    assert.match(metrics, /^hermes_prompt_cache_hits_total\{model="[^"]+",tier="disk"\} 1$/m);
    assert.match(metrics, /^hermes_prompt_tokens_restored_total\{model="[^"]+"\} (\d+)$/m);
    assert.equal(Number(/^hermes_prompt_tokens_restored_total\{model="[^"]+"\} (\d+)$/m.exec(metrics)![1]), cached);
    const health = (await (await fetch(`${second.url}/health`)).json()) as { promptCache: { hits: { disk: number }; disk: { entries: number } } };
    assert.equal(health.promptCache.hits.disk, 1);
    assert.ok(health.promptCache.disk.entries >= 1);
  } finally {
    await stop(second.child);
  }
});
