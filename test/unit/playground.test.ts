import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { answerStats } from "../../src/server/playground/answerStats.js";
import { chatRequestBody, type PlaygroundSettings } from "../../src/server/playground/chatRequestBody.js";
import { describeChoice } from "../../src/server/playground/describeChoice.js";
import { SseDataReader } from "../../src/server/playground/SseDataReader.js";
import { StreamedAnswer } from "../../src/server/playground/StreamedAnswer.js";

describe("the playground's SSE reader", () => {
  test("gives each event's data once its blank line has come, however the text is cut", () => {
    const stream = 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new SseDataReader();
      assert.deepEqual([...reader.push(stream.slice(0, cut)), ...reader.push(stream.slice(cut))], ['{"a":1}', '{"b":2}', "[DONE]"], `cut at ${cut}`);
    }
  });

  test("reads every byte of a stream fed one character at a time", () => {
    const reader = new SseDataReader();
    const out = [..."data: x\n\ndata: y\n\n"].flatMap((char) => reader.push(char));
    assert.deepEqual(out, ["x", "y"]);
  });

  test("an event is not given before its blank line", () => {
    const reader = new SseDataReader();
    assert.deepEqual(reader.push("data: x\n"), []);
    assert.deepEqual(reader.push("\n"), ["x"]);
  });

  test("CR, LF and CRLF all end lines, a CRLF cut between two pieces included", () => {
    const reader = new SseDataReader();
    assert.deepEqual(reader.push("data: a\r\n\r\ndata: b\r\rdata: c\n\n"), ["a", "b", "c"]);
    assert.deepEqual([...reader.push("data: d\r"), ...reader.push("\n\r"), ...reader.push("\n")], ["d"]);
  });

  test("joins several data lines with LF, ignores comments and other fields, and keeps a value's own spaces", () => {
    const reader = new SseDataReader();
    const text = ": keep-alive\nevent: message\nid: 7\ndata: one\ndata:  two\ndata\nretry: 10\n\n";
    assert.deepEqual(reader.push(text), ["one\n two\n"]);
  });

  test("blank lines with no data dispatch nothing", () => {
    assert.deepEqual(new SseDataReader().push("\n\n: comment\n\n"), []);
  });
});

/** A chat completion chunk of one token, with its logprobs when given. */
function chunk(content: string, tokens?: Array<[string, number]>): string {
  const logprobs = tokens ? { content: tokens.map(([token, logprob]) => ({ token, logprob, top_logprobs: [{ token, logprob }, { token: "x", logprob: -3 }] })) } : null;
  return JSON.stringify({ choices: [{ index: 0, delta: { content }, logprobs, finish_reason: null }] });
}

describe("a streamed answer", () => {
  test("gathers text and tokens, the times of its first and last tokens, its finish reason and usage", () => {
    const answer = new StreamedAnswer(true);
    assert.equal(answer.apply(JSON.stringify({ choices: [{ index: 0, delta: { role: "assistant" }, logprobs: null, finish_reason: null }] }), 1), undefined);
    assert.equal(answer.firstTokenAt, undefined);
    assert.deepEqual(answer.apply(chunk("Hel", [["Hel", -0.5]]), 10), { text: "Hel", tokens: [{ token: "Hel", logprob: -0.5, top: [{ token: "Hel", logprob: -0.5 }, { token: "x", logprob: -3 }] }] });
    answer.apply(chunk("lo", [["lo", -0.1]]), 20);
    assert.equal(answer.tokens, 2);
    answer.apply(JSON.stringify({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "length" }] }), 30);
    answer.apply(JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }), 31);
    answer.apply("[DONE]", 32);
    assert.equal(answer.text, "Hello");
    assert.equal(answer.firstTokenAt, 10);
    assert.equal(answer.lastTokenAt, 20);
    assert.equal(answer.finishReason, "length");
    assert.equal(answer.tokens, 3, "the usage's count wins over the tokens counted");
    assert.equal(answer.done, true);
    assert.equal(answer.error, undefined);
  });

  test("logprobs held back to an empty delta come as a piece with no text", () => {
    const answer = new StreamedAnswer(true);
    const piece = answer.apply(JSON.stringify({ choices: [{ index: 0, delta: {}, logprobs: { content: [{ token: "!", logprob: -1, top_logprobs: [] }] }, finish_reason: "stop" }] }), 5);
    assert.deepEqual(piece, { text: "", tokens: [{ token: "!", logprob: -1, top: [] }] });
    assert.equal(answer.tokens, 1);
  });

  test("without logprobs, a stopped answer counts one token per content delta", () => {
    const answer = new StreamedAnswer(false);
    answer.apply(chunk("a"), 1);
    answer.apply(chunk("b"), 2);
    answer.apply(chunk(""), 3);
    assert.equal(answer.tokens, 2);
  });

  test("an error event, or an event that is not JSON, is the answer's error", () => {
    const failed = new StreamedAnswer(false);
    failed.apply(JSON.stringify({ error: { message: "Request timed out.", type: "timeout", param: null, code: "timeout" } }), 1);
    assert.equal(failed.error, "Request timed out.");
    const garbled = new StreamedAnswer(false);
    garbled.apply("{not json", 1);
    assert.match(garbled.error ?? "", /not JSON: \{not json/);
  });
});

describe("an answer's figures", () => {
  test("TTFT from sending to the first token; tokens/s over the tokens after the first", () => {
    const stats = answerStats({ sentAt: 1000, firstTokenAt: 1250, lastTokenAt: 3250, tokens: 101 });
    assert.equal(stats.ttftMs, 250);
    assert.equal(stats.tokensPerSecond, 50);
    assert.equal(stats.summary, "101 tokens · 50.0 tokens/s · first token 250 ms");
  });

  test("a rate needs two tokens and some time between them; fast rates are whole numbers", () => {
    assert.equal(answerStats({ sentAt: 0, firstTokenAt: 40, lastTokenAt: 40, tokens: 1 }).summary, "1 token · first token 40 ms");
    assert.equal(answerStats({ sentAt: 0, firstTokenAt: 40, lastTokenAt: 40, tokens: 3 }).tokensPerSecond, undefined);
    assert.equal(answerStats({ sentAt: 0, firstTokenAt: undefined, lastTokenAt: undefined, tokens: 0 }).summary, "0 tokens");
    assert.equal(answerStats({ sentAt: 0, firstTokenAt: 10, lastTokenAt: 110, tokens: 33 }).summary, "33 tokens · 320 tokens/s · first token 10 ms");
  });
});

const SETTINGS: PlaygroundSettings = {
  model: "m",
  system: "",
  temperature: "",
  topP: "",
  topK: "",
  maxTokens: "",
  seed: "",
  format: "text",
  schema: "",
  logprobs: false,
};

describe("the page's chat request", () => {
  test("streams with usage; empty settings are left to the server's defaults", () => {
    assert.deepEqual(chatRequestBody(SETTINGS, [{ role: "user", content: "hi" }]), {
      body: { model: "m", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } },
    });
  });

  test("the system prompt first, the sampling fields as numbers, logprobs with 5 alternatives", () => {
    const settings = { ...SETTINGS, system: "Be brief.", temperature: "0.7", topP: " 0.9 ", topK: "40", maxTokens: "128", seed: "-3", logprobs: true };
    const turns = [{ role: "user" as const, content: "a" }, { role: "assistant" as const, content: "b" }, { role: "user" as const, content: "c" }];
    const result = chatRequestBody(settings, turns);
    assert.ok("body" in result);
    assert.deepEqual(result.body.messages, [{ role: "system", content: "Be brief." }, ...turns]);
    assert.deepEqual(
      [result.body.temperature, result.body.top_p, result.body.top_k, result.body.max_tokens, result.body.seed, result.body.logprobs, result.body.top_logprobs],
      [0.7, 0.9, 40, 128, -3, true, 5],
    );
  });

  test("a field that is not a number, or not whole where it must be, names itself", () => {
    assert.deepEqual(chatRequestBody({ ...SETTINGS, temperature: "warm" }, []), { error: "Temperature must be a number.", field: "temperature" });
    assert.deepEqual(chatRequestBody({ ...SETTINGS, maxTokens: "1.5" }, []), { error: "Max tokens must be a whole number.", field: "maxTokens" });
  });

  test("JSON mode and a JSON schema become response formats; a schema that does not parse is refused", () => {
    const object = chatRequestBody({ ...SETTINGS, format: "json_object" }, []);
    assert.ok("body" in object);
    assert.deepEqual(object.body.response_format, { type: "json_object" });
    const schema = { type: "object", properties: { a: { type: "integer" } } };
    const typed = chatRequestBody({ ...SETTINGS, format: "json_schema", schema: JSON.stringify(schema) }, []);
    assert.ok("body" in typed);
    assert.deepEqual(typed.body.response_format, { type: "json_schema", json_schema: { name: "playground", schema, strict: true } });
    const broken = chatRequestBody({ ...SETTINGS, format: "json_schema", schema: "{" }, []);
    assert.ok("error" in broken && broken.field === "schema" && broken.error.startsWith("The JSON schema does not parse"));
    assert.deepEqual(chatRequestBody({ ...SETTINGS, format: "json_schema", schema: "[]" }, []), { error: "The JSON schema must be a JSON object.", field: "schema" });
  });
});

test("a token in the tooltip: quoted with its whitespace visible, its probability as a percentage", () => {
  assert.deepEqual(describeChoice({ token: " the", logprob: Math.log(0.4213) }), { token: '" the"', probability: "42.1%" });
  assert.deepEqual(describeChoice({ token: "\n", logprob: Math.log(0.0002) }), { token: '"\\n"', probability: "0.020%" });
  assert.deepEqual(describeChoice({ token: "x", logprob: -30 }), { token: '"x"', probability: "<0.001%" });
});
