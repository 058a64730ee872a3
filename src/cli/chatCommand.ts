import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { Moderator } from "../moderation/Moderator.js";
import type { ChatCompletionChunk } from "../protocol/responses.js";
import { ChatCompletionService } from "../serving/ChatCompletionService.js";
import { chatFormats, type ChatFormat } from "../templates/ChatTemplate.js";
import { demoModel } from "./demoModel.js";
import { describeThreads } from "./describeThreads.js";
import { ModelFleet } from "../serving/ModelFleet.js";
import { ProgressBar } from "./ProgressBar.js";
import { modelStoreOptions, modelStoreUsage, resolveModelFlag } from "./resolveModelFlag.js";
import { numberFlag } from "./numberFlag.js";
import { threadsFlags, threadsUsage } from "./threadsFlags.js";

export const chatUsage = `hermes chat --model MODEL [options]
hermes chat --demo [options]

Talks with the model in the terminal: each line you type is a user turn, the answer streams back, and the whole
conversation is the next prompt. /reset starts over, /exit (or end of input) quits; Ctrl-C stops an answer.
After each answer a line on stderr gives its tokens and speed.

  --model MODEL       GGUF model: a file, hf:OWNER/REPO:QUANT, hf:OWNER/REPO/FILE.gguf, a URL or a short name
                      (see 'hermes pull')
${modelStoreUsage}
  --demo              a freshly generated tiny model (random weights: its text is noise)
  --system TEXT       a system message first
  --chat-format F     ${chatFormats.join(" | ")} (default: the GGUF's template, else alpaca)
  --max-tokens N      tokens per answer at most (default: the rest of the context)
  --temperature T     sampling temperature (default 0.7)
  --seed N            sampling seed (default: a random one per answer)
  --ctx-size N        tokens of the whole conversation (default: the model's training context)
${threadsUsage("(--demo: 1, the demo model's batches are too small to share)")}`;

export async function chatCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string", short: "m" },
      demo: { type: "boolean", default: false },
      system: { type: "string" },
      "chat-format": { type: "string" },
      "max-tokens": { type: "string" },
      temperature: { type: "string", default: "0.7" },
      seed: { type: "string" },
      "ctx-size": { type: "string" },
      threads: { type: "string" },
      "threads-batch": { type: "string" },
      ...modelStoreOptions,
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(chatUsage);
    return 0;
  }
  if (values.demo === (values.model !== undefined)) throw new Error(`give either --model FILE or --demo\n\n${chatUsage}`);
  const chatFormat = values["chat-format"];
  if (chatFormat !== undefined && !chatFormats.includes(chatFormat as ChatFormat)) throw new Error(`--chat-format must be one of ${chatFormats.join(", ")}`);
  const maxTokens = numberFlag(values["max-tokens"], "--max-tokens", { min: 1 });
  const temperature = Number(values.temperature);
  if (!(temperature >= 0 && temperature <= 2)) throw new Error("--temperature must be a number from 0 to 2");
  const seed = numberFlag(values.seed, "--seed", { min: 0 });
  const contextSize = numberFlag(values["ctx-size"], "--ctx-size", { min: 1 });
  const threads = threadsFlags(values.threads, values["threads-batch"], values.demo ? 1 : undefined);
  const modelPath = values.model === undefined ? demoModel() : (await resolveModelFlag(values.model, values)).path;

  const progress = new ProgressBar(`loading ${modelPath}`);
  const fleet = await ModelFleet.open({ models: [{
    modelPath,
    parallel: 1,
    ...(contextSize !== undefined ? { contextSize } : {}),
    ...threads,
    onLoadProgress: (fraction) => progress.update(fraction),
    ...(chatFormat !== undefined ? { chatFormat: chatFormat as ChatFormat } : {}),
  }] });
  const model = fleet.models[0]!.served!;
  progress.done(`${model.id}: ${model.template.format} format, ${model.engine.info.contextSize} tokens of context, ${describeThreads(model.engine.info.threads, 1)}; /reset, /exit`);
  const chat = new ChatCompletionService(fleet, new Moderator("off", []));
  const messages: Array<{ role: "system" | "user" | "assistant"; content: string }> = values.system ? [{ role: "system", content: values.system }] : [];
  const interactive = process.stdin.isTTY === true;
  const lines = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
  let answering: AbortController | undefined;
  // Ctrl-C stops the answer being written; with none, it quits
  lines.on("SIGINT", () => (answering ? answering.abort() : lines.close()));
  try {
    if (interactive) lines.setPrompt("> ");
    if (interactive) lines.prompt();
    for await (const line of lines) {
      const text = line.trim();
      if (text === "/exit") break;
      if (text === "/reset") {
        messages.splice(values.system ? 1 : 0);
        console.error("(conversation cleared)");
      } else if (text !== "") {
        messages.push({ role: "user", content: text });
        answering = new AbortController();
        const answer = await stream(chat, model.id, messages, { temperature, ...(maxTokens !== undefined ? { maxTokens } : {}), ...(seed !== undefined ? { seed } : {}) }, answering.signal);
        answering = undefined;
        if (answer === undefined) messages.pop(); // stopped: the question goes too
        else messages.push({ role: "assistant", content: answer });
      }
      if (interactive) lines.prompt();
    }
  } finally {
    lines.close();
    await fleet.dispose();
  }
  return 0;
}

/**
 * Streams one answer to stdout; returns its text, or undefined when it was stopped. A request the model cannot
 * take (the conversation outgrew the context) is reported and leaves the conversation as it was.
 */
async function stream(
  chat: ChatCompletionService,
  model: string,
  messages: ReadonlyArray<{ role: "system" | "user" | "assistant"; content: string }>,
  sampling: { temperature: number; maxTokens?: number; seed?: number },
  signal: AbortSignal,
): Promise<string | undefined> {
  const started = performance.now();
  let answer = "";
  let usage: ChatCompletionChunk["usage"];
  try {
    const result = await chat.create(
      {
        model,
        messages: [...messages],
        stream: true,
        stream_options: { include_usage: true },
        temperature: sampling.temperature,
        ...(sampling.maxTokens !== undefined ? { max_tokens: sampling.maxTokens } : {}),
        ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
      },
      signal,
    );
    if (!result.stream) throw new Error("expected a stream");
    for await (const chunk of result.chunks) {
      const piece = chunk.choices[0]?.delta.content ?? "";
      answer += piece;
      process.stdout.write(piece);
      usage = chunk.usage ?? usage;
    }
  } catch (error) {
    process.stdout.write("\n");
    if (signal.aborted) {
      console.error("(stopped)");
      return undefined;
    }
    console.error(`(${(error as Error).message})`);
    return undefined;
  }
  process.stdout.write("\n");
  if (usage) {
    const seconds = (performance.now() - started) / 1000;
    console.error(`[${usage.prompt_tokens} prompt tokens (${usage.prompt_tokens_details.cached_tokens} cached), ${usage.completion_tokens} generated, ${(usage.completion_tokens / seconds).toFixed(1)} tok/s]`);
  }
  return answer;
}
