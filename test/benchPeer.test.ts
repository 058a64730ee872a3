import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import type { BenchmarkReport } from "../src/bench/BenchmarkReport.js";
import { afterRestart, CHAT_CACHE_OFF, CHAT_DISK_CACHE, CHAT_RAM_CACHE, chatVariants } from "../src/bench/chatVariants.js";
import { connectPeer } from "../src/bench/connectPeer.js";
import { runBenchmark } from "../src/bench/runBenchmark.js";
import { ServerProcess } from "../src/bench/ServerProcess.js";
import { summarizeBenchmark } from "../src/bench/summarizeBenchmark.js";
import { tinyModelPath } from "./helpers/testServer.js";

const positive = (values: ReadonlyArray<number | null>, what: string): void => {
  assert.ok(values.length > 0, `${what}: no figures`);
  for (const value of values) assert.ok(value !== null && Number.isFinite(value) && value > 0, `${what}: ${values.join(", ")}`);
};

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("the bench runs its compared scenarios and the chat workload against a peer (a second hermes) as against hermes; a peer that dies is reported, the rest measured", async () => {
  const model = tinyModelPath();
  const peerServer = await ServerProcess.start(["--model", model, "--parallel", "4", "--threads", "1"]);
  const doomedServer = await ServerProcess.start(["--model", model, "--parallel", "1", "--threads", "1"]);
  try {
    const peer = await connectPeer(peerServer.apiUrl, undefined);
    // reached, then gone before the bench starts: its first request fails
    const doomed = await connectPeer(doomedServer.apiUrl, undefined);
    await doomedServer.stop();
    // system prompts long enough that restoring a conversation clearly beats recomputing it, even on the tiny model
    // and on a loaded machine (at 300 tokens, a load average of 10 made the estimate choose recomputing now and then)
    const chat = { conversations: 3, turns: 2, systemPromptTokens: 1000, answerTokens: 4 };
    const runs = 2;
    const result = await runBenchmark({
      label: "tiny f32",
      modelPath: model,
      parallel: 4,
      runs,
      // 64 tokens a stream: long enough that a busy machine does not deliver a stream's chunks in one read (a rate of
      // 1 / 0 ms) nor let one of 4 streams end before the last starts
      decodeTokens: 64,
      decodePairs: 2,
      prefillTokens: 30,
      streams: [1, 2, 4],
      streamTokens: 64,
      systemPromptTokens: 40,
      ttftSamples: 1,
      chat,
      chatVariants,
      peers: [peer, doomed],
      peerStreams: [2, 4],
      onProgress: () => undefined,
    });

    assert.equal(result.peers.length, 2);
    const [measured, failed] = result.peers as [(typeof result.peers)[0], (typeof result.peers)[0]];
    assert.equal(measured.failed, undefined);
    assert.equal(measured.apiUrl, peerServer.apiUrl);
    assert.equal(measured.modelId, peerServer.modelId);
    assert.equal(measured.tokensCountedBy, "usage", "hermes streams a usage when asked");
    assert.equal(measured.decodeHttp.length, runs * 2);
    positive(measured.decodeHttp, "peer decode");
    assert.deepEqual(
      measured.concurrency.map((c) => c.streams),
      [2, 4],
    );
    for (const c of measured.concurrency) {
      assert.equal(c.tokensPerSecond.length, runs);
      positive([...c.tokensPerSecond, c.gapP50, c.gapP95], `peer ${c.streams} streams`);
      assert.equal(c.tokensPerStep, undefined, "a peer has no scheduler counters");
    }
    positive([...measured.ttftCold, ...measured.ttftWarm], "peer TTFT");
    assert.equal(measured.ttftCold.length, runs);
    positive(measured.warmCachedTokens, "the warm request found the system prompt cached");

    assert.match(failed.failed ?? "", /^warm-up: .*ECONNREFUSED/);
    assert.deepEqual([failed.decodeHttp, failed.ttftCold, failed.chat], [[], [], []]);

    // hermes measured as ever, with the peer rounds in between
    assert.equal(result.decodeHttp.length, runs * 2);
    positive([...result.decodeHttp, ...result.ttftCold, ...result.ttftWarm], "hermes");
    assert.ok(result.concurrency.every((c) => c.tokensPerStep !== undefined && c.tokensPerStep >= 1));

    // the chat workload: every turn of every conversation once, on hermes per variant and on the peer
    assert.deepEqual(
      result.chat.map((run) => run.variant),
      [CHAT_CACHE_OFF, CHAT_RAM_CACHE, CHAT_DISK_CACHE, afterRestart(CHAT_DISK_CACHE)],
    );
    assert.deepEqual(
      measured.chat.map((run) => run.variant),
      ["peer"],
    );
    for (const run of [...result.chat, ...measured.chat]) {
      const replay = run.variant === afterRestart(CHAT_DISK_CACHE);
      const expected = Array.from({ length: chat.conversations }, (_, c) => Array.from({ length: chat.turns }, (_, t) => `${c}/${t + 1}`).filter((key) => !replay || !key.endsWith("/1"))).flat();
      assert.deepEqual(run.turns.map((turn) => `${turn.conversation}/${turn.turn}`).sort(), expected.sort(), run.variant);
      positive(run.turns.map((turn) => turn.ttftMs), `${run.variant} TTFT`);
      assert.ok(run.turns.every((turn) => turn.completionTokens === chat.answerTokens && turn.cachedTokens !== null), run.variant);
      for (const turn of run.turns.filter((t) => t.turn === 2)) {
        const first = result.chat[0]!.turns.find((t) => t.conversation === turn.conversation && t.turn === 1)!;
        assert.ok(turn.promptTokens! > first.promptTokens! + chat.answerTokens, `${run.variant}: a returning turn carries the conversation so far`);
        // 3 conversations over 2 slots: with the prompt cache, every returning turn finds its first turn kept
        if (run.variant !== CHAT_CACHE_OFF && run.variant !== "peer") {
          assert.ok(turn.cachedTokens! >= first.promptTokens! - 1, `${run.variant}: conversation ${turn.conversation} returned with ${turn.cachedTokens} cached of ${turn.promptTokens}`);
        }
      }
    }

    // the table: a column and a ratio per peer on the compared rows, blanks on hermes' own
    const report = {
      date: "d",
      commit: "c",
      machine: { cpu: "cpu", cores: 2, memoryGiB: 1, node: "20", platform: "linux-x64", memoryBandwidthGBs: 10 },
      moderation: { promptMs: 0.1, pieceMs: 0.01 },
      models: [
        {
          ...result,
          weightBytesPerToken: 1e6,
          threadChoice: { auto: result.threads, servers: [{ threads: "auto" as const, decode: [1], prefill: [1] }, { threads: 1, decode: [1], prefill: [1] }] },
          kvTypes: [],
          evalDocumentsPerSecond: [1],
          evalDocumentsPerSecondTwoAtOnce: [1],
          moderationClassifierMs: 1,
          featureCosts: { plain: 1, logprobs: 1, topLogprobs: 1, jsonGrammar: 1, closingMicrosPerToken: 1 },
        },
      ],
      targets: [],
    } as BenchmarkReport;
    const table = summarizeBenchmark(report).split("\n");
    const cells = (prefix: string): string[] =>
      table
        .find((line) => line.startsWith(`| ${prefix}`))!
        .split(" | ")
        .slice(1);
    assert.equal(cells("figure").length, 5, "hermes, then a figure and a ratio per peer");
    assert.match(cells("decode tok/s, 1 stream over HTTP")[2]!, /^\d+\.\d\d×$/);
    assert.match(cells("aggregate decode tok/s, 4 streams")[1]!, /^\d+ \(\d+–\d+\)$/);
    assert.equal(cells("aggregate decode tok/s, 1 stream ")[1], "–", "peers run 2 and 4 streams only");
    assert.match(cells("chat workload (3 conversations × 2 turns, 2 in flight), cache off: TTFT p50 / p95 ms, returning turns")[2]!, /^\d+\.\d\d× \/ \d+\.\d\d×$/);
    assert.equal(cells("prefill tok/s")[1], "–");
    assert.ok(table.some((line) => line.startsWith(`- peer ${doomed.url} FAILED`)));
  } finally {
    await peerServer.stop();
    await doomedServer.stop();
  }
});

test("a peer that is not there, or does not answer, ends with a message naming it, within the probe's bound", async () => {
  const port = await closedPort();
  await assert.rejects(connectPeer(`http://127.0.0.1:${port}/v1`, undefined), new RegExp(`peer http://127.0.0.1:${port}/v1: GET .*/models failed: ECONNREFUSED`));
  // accepts the connection and never answers
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/v1`;
    await assert.rejects(connectPeer(url, undefined, 300), /models failed: no answer within 0.3 s/);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
  await assert.rejects(connectPeer("localhost:8080", undefined), /not an http\(s\) URL|not a URL/);
});
