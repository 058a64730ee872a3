import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import type { Job } from "../src/engine/Job.js";
import { JobOutput, type Sampled } from "../src/engine/JobOutput.js";
import { TokenPieces } from "../src/engine/TokenPieces.js";
import type { FinishReason, GenerationEvent, TokenLogprob } from "../src/engine/types.js";
import { tinyModelPath } from "./helpers/testServer.js";

// JobOutput's pure parts (decoding, stop strings, logprobs, closing, last events) fed sampled tokens by hand; the
// tiny model only tokenizes and detokenizes
describe("JobOutput: one job's sampled tokens to its events", () => {
  let llama: Llama;
  let model: LlamaModel;
  let pieces: TokenPieces;
  before(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
    model = await llama.loadModel({ modelPath: tinyModelPath() });
    pieces = new TokenPieces(model);
  });
  after(async () => {
    await llama.dispose();
  });

  /** A job of `fields` on a sink that records its events; `emitted` is what the output sent through `emit`. */
  function run(fields: Partial<Job>) {
    const events: GenerationEvent[] = [];
    let closed = false;
    const job: Job = {
      prompt: [model.tokens.bos!, ...model.tokenize("Once")],
      maxTokens: 100,
      stop: [],
      options: () => ({}),
      signal: new AbortController().signal,
      events: { push: (event) => events.push(event), close: () => (closed = true), fail: assert.fail, backlog: () => 0 },
      submitted: 0,
      ...fields,
    };
    const emitted: Array<{ text: string; logprobs: TokenLogprob[] | undefined }> = [];
    const output = new JobOutput(model, pieces, job, (text, logprobs) => emitted.push({ text, logprobs }));
    /**
     * Feeds the tokens of `text` (read after the prompt: "upon" is " upon") one by one; returns the finish reason of
     * the first token that ended the job.
     */
    const feed = (text: string, sample: (token: Token) => Sampled = (token) => ({ token })): FinishReason | undefined => {
      for (const token of model.tokenize(text)) {
        const finish = output.accept(sample(token));
        if (finish !== undefined) return finish;
      }
      return undefined;
    };
    return { job, output, events, emitted, feed, closed: () => closed, text: () => emitted.map((e) => e.text).join("") };
  }

  test("text goes out as it is decoded; finish sends done with the usage and closes the events", () => {
    const { job, output, events, feed, closed, text } = run({});
    assert.equal(feed("upon a time"), undefined);
    assert.equal(text(), " upon a time");
    assert.deepEqual(output.generated, model.tokenize("upon a time"));
    // the timings are the scheduler's (it measures them on the slot): the output carries them to `done`
    const timings = { queueMs: 7, promptMs: 3.5, generationMs: 12.25 };
    output.finish("length", 2, timings);
    assert.deepEqual(events, [
      { type: "done", finishReason: "length", usage: { promptTokens: job.prompt.length, completionTokens: output.completionTokens, cachedTokens: 2 }, ...timings },
    ]);
    assert.equal(output.completionTokens, model.tokenize("upon a time").length);
    assert.ok(closed());
  });

  test("max_tokens ends the job as length; end of sequence as stop, counted but not generated", () => {
    const short = run({ maxTokens: 2 });
    assert.equal(short.feed("upon a time there"), "length");
    assert.equal(short.output.completionTokens, 2);
    const eos = run({});
    assert.equal(eos.output.accept({ token: model.tokens.eos! }), "stop");
    assert.equal(eos.output.completionTokens, 1);
    assert.deepEqual(eos.output.generated, []);
  });

  test("a stop string ends the job; its text and anything after it are never sent", () => {
    const { output, events, feed, text } = run({ stop: ["a time"] });
    assert.equal(feed("upon a time there"), "stop");
    assert.equal(text(), " upon ");
    output.finish("stop", 0, { queueMs: 0, promptMs: 0, generationMs: 0 });
    assert.deepEqual(events.map((event) => event.type), ["done"]);
    assert.equal(events[0]?.type === "done" && events[0].stopSequence, "a time");
  });

  test("text that could start a stop string is held back, and sent by finish when the job ends otherwise", () => {
    const { output, events, feed, text } = run({ stop: [" time machine"] });
    assert.equal(feed("upon a time"), undefined);
    assert.equal(text(), " upon a");
    output.finish("length", 0, { queueMs: 0, promptMs: 0, generationMs: 0 });
    assert.deepEqual(events[0], { type: "text", text: " time" });
    assert.equal(events[1]?.type, "done");
    assert.ok(!("stopSequence" in events[1]), "no stop string ended it");
  });

  test("logprobs: each token's record goes out with its text, offsets counting the completion's text", () => {
    const { output, emitted, feed, events } = run({ logprobs: 1, stop: [" time machine"] });
    const sample = (token: Token): Sampled => ({ token, confidence: 0.5, probabilities: new Map([[token, 0.5]]) });
    assert.equal(feed("upon a time", sample), undefined);
    const sent = emitted.flatMap((e) => e.logprobs ?? []);
    assert.equal(sent.map((record) => record.text).join(""), " upon a");
    assert.equal(sent[0]?.offset, 0);
    assert.ok(sent.every((record) => Math.abs(record.logprob! - Math.log(0.5)) < 1e-9 && record.top.length === 1));
    output.finish("length", 0, { queueMs: 0, promptMs: 0, generationMs: 0 });
    const held = events[0];
    assert.ok(held?.type === "text" && held.logprobs?.[0]?.text === " time" && held.logprobs[0].offset === " upon a".length);
  });

  test("a structured output is closed when its tokens left are at most the closing's plus 16: sent, counted, length", () => {
    const { output, events, feed, text } = run({ maxTokens: 20, close: () => "}" });
    const tokens = model.tokenize('{"a": "b", "c": "d"');
    assert.equal(feed('{"a": "b", "c": "d"'), "length");
    // 17 tokens left after the third: not more than the closing's one token plus the margin
    assert.equal(output.completionTokens, 3 + model.tokenize("}").length);
    assert.equal(text().trimStart(), model.detokenize(tokens.slice(0, 3)).trimStart());
    output.finish("length", 0, { queueMs: 0, promptMs: 0, generationMs: 0 });
    assert.deepEqual(events[0], { type: "text", text: "}" });
  });

  test("a structured output the closer cannot complete goes on, and ends as it is when its tokens run out", () => {
    const { output, events, feed } = run({
      maxTokens: 4,
      close: () => {
        throw new Error("deeper than the closer follows");
      },
    });
    assert.equal(feed('{"a": "b", "c": "d"'), "length");
    assert.equal(output.completionTokens, 4);
    output.finish("length", 0, { queueMs: 0, promptMs: 0, generationMs: 0 });
    assert.deepEqual(events.map((event) => event.type), ["done"]);
  });

  test("prompt logprobs: the prompt's first token has none, and its record is there before any scoring", () => {
    const { output } = run({ promptLogprobs: 0 });
    const [first] = output.promptLogprobs();
    assert.equal(first?.token, model.tokens.bos);
    assert.equal(first?.logprob, null);
    assert.equal(output.promptLogprobs().length, 1);
  });
});
