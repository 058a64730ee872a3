import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { ChatMessage } from "../../src/templates/ChatTemplate.js";
import { resolveChatTemplate } from "../../src/templates/resolveChatTemplate.js";

const tokens = { bos: "<s>", eos: "</s>" };
const template = (format: "alpaca" | "llama2-chat" | "chatml") => resolveChatTemplate({ requested: format, specialTokens: tokens });

const conversation: ChatMessage[] = [
  { role: "system", content: "You are a pirate." },
  { role: "user", content: "Hi there" },
  { role: "assistant", content: "Arr, hello!" },
  { role: "user", content: "Tell me a joke" },
];

test("alpaca: the model card's format, with the system text on top", () => {
  const prompt = template("alpaca").render(conversation);
  assert.equal(
    prompt.text,
    "You are a pirate.\n\n### Instruction:\nHi there\n\n### Response:\nArr, hello!\n\n### Instruction:\nTell me a joke\n\n### Response:\n",
  );
  assert.deepEqual(prompt.stop, ["### Instruction:", "### Input:", "### Response:"]);
  assert.equal(prompt.parseSpecial, false);
});

test("alpaca: a user message named 'input' becomes the ### Input: section", () => {
  const prompt = template("alpaca").render([
    { role: "user", content: "Summarize the text." },
    { role: "user", name: "input", content: "Llamas are camelids." },
  ]);
  assert.equal(prompt.text, "### Instruction:\nSummarize the text.\n\n### Input:\nLlamas are camelids.\n\n### Response:\n");
});

test("alpaca: the hosted API's example request", () => {
  const prompt = template("alpaca").render([
    { role: "system", content: "Act like you are a helpful assistant." },
    { role: "user", content: "Hi there!" },
  ]);
  assert.equal(prompt.text, "Act like you are a helpful assistant.\n\n### Instruction:\nHi there!\n\n### Response:\n");
});

test("llama2-chat: Meta's format with the system prompt in the first turn", () => {
  const prompt = template("llama2-chat").render(conversation);
  assert.equal(
    prompt.text,
    "<s>[INST] <<SYS>>\nYou are a pirate.\n<</SYS>>\n\nHi there [/INST] Arr, hello! </s><s>[INST] Tell me a joke [/INST]",
  );
  assert.equal(prompt.parseSpecial, true);
});

test("llama2-chat: without a system prompt", () => {
  assert.equal(template("llama2-chat").render([{ role: "user", content: "Hi" }]).text, "<s>[INST] Hi [/INST]");
});

test("chatml", () => {
  const prompt = template("chatml").render(conversation.slice(0, 2));
  assert.equal(
    prompt.text,
    "<|im_start|>system\nYou are a pirate.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
  );
  assert.deepEqual(prompt.stop, ["<|im_end|>", "<|im_start|>"]);
});

const zephyrLike =
  "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{{ eos_token }}\n{% endfor %}" +
  "{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

test("jinja: the GGUF's own template is rendered with its special tokens and the generation prompt", () => {
  const chat = resolveChatTemplate({ ggufTemplate: zephyrLike, specialTokens: tokens });
  assert.equal(chat.format, "jinja");
  assert.equal(chat.render(conversation.slice(0, 2)).text, "<s><|system|>\nYou are a pirate.</s>\n<|user|>\nHi there</s>\n<|assistant|>\n");
});

test("jinja: a template that raises an error is the client's 400, not a crash", () => {
  const strict = "{% if messages[0]['role'] != 'user' %}{{ raise_exception('first message must be user') }}{% endif %}";
  const chat = resolveChatTemplate({ ggufTemplate: strict, specialTokens: tokens });
  assert.throws(() => chat.render(conversation), (error: { status?: number; param?: string }) => error.status === 400 && error.param === "messages");
});

test("choice: --chat-format beats the GGUF's template, which beats the Alpaca default", () => {
  assert.equal(resolveChatTemplate({ requested: "chatml", ggufTemplate: zephyrLike, specialTokens: tokens }).format, "chatml");
  assert.equal(resolveChatTemplate({ ggufTemplate: zephyrLike, specialTokens: tokens }).format, "jinja");
  assert.equal(resolveChatTemplate({ specialTokens: tokens }).format, "alpaca");
  assert.throws(() => resolveChatTemplate({ requested: "jinja", specialTokens: tokens }), /chat_template/);
});

test("jinja with tools: a template that reads `tools` renders them, the assistant's calls and the tool results itself", () => {
  const source = readFileSync(new URL("../../../test/fixtures/hermes-tools-template.jinja", import.meta.url), "utf8");
  const chat = resolveChatTemplate({ ggufTemplate: source, specialTokens: tokens });
  assert.ok(chat.renderWithTools);
  const text = chat.renderWithTools(
    [
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
      { role: "tool", content: "4 C", toolCallId: "call_1" },
    ],
    [{ name: "get_weather", parameters: { type: "object" } }],
  ).text;
  assert.ok(text.startsWith('<|im_start|>system\nYou may call these functions: <tools>{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}</tools>'));
  assert.ok(text.includes('<|im_start|>assistant\n<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call><|im_end|>'));
  assert.ok(text.includes("<|im_start|>user\n<tool_response>\n4 C\n</tool_response><|im_end|>\n<|im_start|>assistant\n"));
  // a template that does not read `tools` leaves them to our own format
  assert.equal(resolveChatTemplate({ ggufTemplate: zephyrLike, specialTokens: tokens }).renderWithTools, undefined);
});
