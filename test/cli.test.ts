import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import OpenAI from "openai";

const bin = new URL("../../bin/hermes.cjs", import.meta.url).pathname;

test("hermes serve --demo prints a ready line with the URL; the hosted API's example works against it; SIGTERM stops it", async () => {
  const child = spawn(process.execPath, [bin, "serve", "--demo", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      child.stderr.on("data", (data: Buffer) => {
        output += data.toString();
        const match = /ready at (http:\/\/\S+)\/v1 .*, KV cache [\d.]+ MiB per slot \(K f16, V f16, flash attention auto\)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.once("exit", (code) => reject(new Error(`server exited (${code}) before it was ready:\n${output}`)));
    });
    // the JavaScript example of the hosted API's page, with only the base URL changed
    const openai = new OpenAI({ baseURL: `${url}/v3/openai`, apiKey: "<YOUR Novita AI API Key>", maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      messages: [
        { role: "system", content: "Act like you are a helpful assistant." },
        { role: "user", content: "Hi there!" },
      ],
      model: "nousresearch/nous-hermes-llama2-13b",
      max_tokens: 8,
    });
    assert.equal(completion.object, "chat.completion");
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  } finally {
    child.kill("SIGKILL");
  }
});

test("hermes chat: each input line is a turn answered in a stream, the conversation is the next prompt, /reset clears it", async () => {
  const child = spawn(process.execPath, [bin, "chat", "--demo", "--max-tokens", "6", "--seed", "3"], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end("Hello there\nTell me more\n/reset\nHello there\n");
  assert.equal(await new Promise((resolve) => child.once("exit", resolve)), 0);
  const turns = [...stderr.matchAll(/\[(\d+) prompt tokens \((\d+) cached\), (\d+) generated, [\d.]+ tok\/s\]/g)].map((m) => m.slice(1).map(Number));
  assert.equal(turns.length, 3, stderr);
  assert.ok(turns.every(([, , generated]) => generated === 6));
  assert.ok(turns[1]![0]! > turns[0]![0]! + 6, "the second turn's prompt holds the first question and answer");
  assert.equal(turns[2]![0], turns[0]![0], "after /reset the conversation starts over");
  assert.match(stderr, /\(conversation cleared\)/);
  // the same seed, the same first question: the same answer after the reset
  const answers = stdout.split("\n").filter((line) => line !== "");
  assert.equal(answers.length >= 3 ? answers[0] : "", answers.at(-1));
});

test("hermes synth writes a model of the requested shape and type", async () => {
  const dir = mkdtempSync(join(os.tmpdir(), "hermes-synth-"));
  try {
    const out = join(dir, "m.gguf");
    const child = spawn(process.execPath, [bin, "synth", "--shape", "tiny", "--type", "q4_0", "--out", out], { stdio: "ignore" });
    assert.equal(await new Promise((resolve) => child.once("exit", resolve)), 0);
    assert.ok(statSync(out).size > 32000 * 64 * 18 / 32);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const badCalls: Array<[string[], RegExp]> = [
  [["serve", "--model", "/nonexistent.gguf"], /model file not found/],
  [["serve"], /either --model FILE or --demo/],
  [["serve", "--demo", "--parallel", "0"], /--parallel must be a positive integer/],
  [["serve", "--demo", "--port", "http"], /--port must be a non-negative integer/],
  [["serve", "--demo", "--chat-format", "vicuna"], /--chat-format must be one of/],
  [["serve", "--demo", "--moderation", "strict"], /--moderation must be one of off, report, block/],
  [["serve", "--demo", "--moderation-model", "/nonexistent-guard.gguf"], /moderation model file not found/],
  [["serve", "--demo", "--embedding-model", "/nonexistent-embed.gguf"], /embedding model file not found/],
  [["serve", "--demo", "--queue-timeout=-1"], /--queue-timeout must be a number/],
  [["serve", "--demo", "--queue-timeout", "soon"], /--queue-timeout must be a number/],
  [["serve", "--demo", "--request-timeout=-5"], /--request-timeout must be a number/],
  [["serve", "--demo", "--shutdown-grace", "soon"], /--shutdown-grace must be a number/],
  [["serve", "--demo", "--prefill-chunk", "0"], /--prefill-chunk must be a positive integer/],
  [["serve", "--demo", "--threads", "0"], /--threads must be auto or a positive integer/],
  [["serve", "--demo", "--threads", "max"], /--threads must be auto or a positive integer/],
  [["serve", "--demo", "--threads-batch", "auto"], /--threads-batch must be a positive integer/],
  [["serve", "--demo", "--no-such-flag"], /Unknown option/],
  [["serve", "--demo", "--cache-ram", "lots"], /--cache-ram must be a non-negative integer/],
  // a folder that cannot be made (its parent is a file): said before serving
  [["serve", "--demo", "--cache-dir", `${bin}/cache`], /prompt cache folder .*hermes\.cjs\/cache: ENOTDIR/],
  [["serve", "--demo", "--cache-dir-size", "100"], /--cache-dir-size needs --cache-dir/],
  [["serve", "--demo", "--cache-dir", "/tmp", "--cache-dir-size", "0"], /--cache-dir-size must be a positive integer/],
  [["serve", "--demo", "--models-dir", "/tmp"], /--demo serves the generated model alone/],
  [["serve", "--models-dir", "/nonexistent-models"], /no model in \/nonexistent-models: put GGUF files there, or pull one/],
  [["serve", "--demo", "--models-max", "0"], /--models-max must be a positive integer/],
  [["serve", "--demo", "--idle-unload", "soon"], /--idle-unload must be a number/],
  [["serve", "--model", bin, "--model-alias", "a", "--model-alias", "b"], /2 --model-alias for 1 --model/],
  [["serve", "--demo", "--cache-type-k", "q5_1"], /--cache-type-k must be one of f16, q8_0, q4_0/],
  [["serve", "--demo", "--cache-type-v", "f32"], /--cache-type-v must be one of f16, q8_0, q4_0/],
  [["serve", "--demo", "--flash-attn", "yes"], /--flash-attn must be one of auto, on, off/],
  [["serve", "--demo", "--cache-type-v", "q8_0", "--flash-attn", "off"], /--cache-type-v q8_0 needs flash attention/],
  [["serve", "--demo", "--cache-type-k", "q4_0"], /--cache-type-k q4_0: its blocks of 32 values do not divide this model's attention head size \(16\)/],
  [["synth", "--shape", "70b", "--out", "/tmp/x.gguf"], /--shape must be one of/],
  [["synth", "--type", "q2_k", "--out", "/tmp/x.gguf"], /--type must be one of/],
  [["synth"], /--out is required/],
  [["bench", "--models", "70b"], /--models must list some of tiny, 1b/],
  [["bench", "--runs", "0"], /--runs must be a positive integer/],
  [["bench", "--peer", "http://127.0.0.1:2/v1"], /--peer compares one model: give --models the one the peers serve/],
  [["bench", "--models", "tiny", "--peer", "http://127.0.0.1:2/v1"], /peer http:\/\/127\.0\.0\.1:2\/v1: GET http:\/\/127\.0\.0\.1:2\/v1\/models failed: ECONNREFUSED/],
  [["bench", "--models", "tiny", "--peer", "127.0.0.1:8080"], /--peer: "127\.0\.0\.1:8080" is not a URL/],
  [["eval"], /--model \(or --target\), --tasks and --data are required/],
  [["eval", "--model", bin, "--target", "http://127.0.0.1:1/v1", "--tasks", "arc_easy", "--data", "/tmp"], /--model and --target exclude each other/],
  [["eval", "--model", "/nonexistent.gguf", "--tasks", "gpt4all", "--data", "/tmp"], /model file not found/],
  [["eval", "--model", bin, "--tasks", "mmlu", "--data", "/tmp"], /unknown task or suite 'mmlu'/],
  [["eval", "--model", bin, "--tasks", "arc_easy", "--data", "/tmp", "--documents", "0"], /--documents must be a positive integer/],
  [["eval", "--model", bin, "--tasks", ",", "--data", "/tmp"], /--tasks names no task/],
  [["eval", "--model", bin, "--tasks", "gpt4all", "--data", "/nonexistent-eval-data"], /data directory not found/],
  [["eval", "--model", bin, "--tasks", "winogrande", "--data", "/tmp", "--limit", "0"], /--limit must be a positive integer/],
  [["eval", "--model", bin, "--tasks", "winogrande", "--data", "/tmp"], /no data for winogrande: expected \/tmp\/allenai__winogrande/],
  [["chat"], /give either --model FILE or --demo/],
  [["chat", "--model", "/nonexistent.gguf"], /model file not found/],
  [["chat", "--demo", "--max-tokens", "0"], /--max-tokens must be an integer >= 1/],
  [["chat", "--demo", "--chat-format", "vicuna"], /--chat-format must be one of/],
  [["chat", "--demo", "--temperature", "3"], /--temperature must be a number from 0 to 2/],
  [["chat", "--demo", "--threads=-2"], /--threads must be auto or a positive integer/],
  [["chat", "--demo", "--threads-batch", "0"], /--threads-batch must be a positive integer/],
  [["eval", "--model", bin, "--tasks", "arc_easy", "--data", "/tmp", "--threads", "1.5"], /--threads must be auto or a positive integer/],
  [["eval", "--model", bin, "--tasks", "arc_easy", "--data", "/tmp", "--threads-batch", "none"], /--threads-batch must be a positive integer/],
  [["pull"], /give one model to pull/],
  [["pull", "hf:TheBloke"], /"hf:TheBloke" is not a Hugging Face reference: use hf:OWNER\/REPO:QUANT or hf:OWNER\/REPO\/PATH\.gguf/],
  [["pull", "nous-hermes-llama2-7b:Q8_0", "--offline", "--models-dir", "/nonexistent-models"], /nous-hermes-llama2-7b:Q8_0 is not in the model cache \(\/nonexistent-models\) and downloads are off \(--offline\): run 'hermes pull nous-hermes-llama2-7b:Q8_0 --models-dir \/nonexistent-models'/],
  [["serve", "--model", "nous-hermes-llama2-13b", "--offline", "--models-dir", "/nonexistent-models"], /nous-hermes-llama2-13b:Q4_K_M is not in the model cache/],
  [["chat", "--model", "hf:o/r:Q4_K_M", "--offline", "--models-dir", "/nonexistent-models"], /hf:o\/r:Q4_K_M is not in the model cache/],
  [["rm", "nous-hermes-llama2-7b", "--models-dir", "/nonexistent-models"], /nous-hermes-llama2-7b is not in the models folder \/nonexistent-models/],
  [["models", "--jsn"], /Unknown option '--jsn'/],
  [["frobnicate"], /unknown command 'frobnicate'/],
];

for (const [args, message] of badCalls) {
  test(`hermes ${args.join(" ")}: a message and exit code 1, not a stack trace`, async () => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    assert.equal(await new Promise((resolve) => child.once("exit", resolve)), 1);
    assert.match(stderr, message);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });
}
