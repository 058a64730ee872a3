import { AnswerView } from "./AnswerView.js";
import { answerStats } from "./answerStats.js";
import { ApiClient } from "./ApiClient.js";
import { chatRequestBody, type ChatTurn, type PlaygroundSettings } from "./chatRequestBody.js";
import { element } from "./element.js";
import { errorMessage } from "./errorMessage.js";
import { KeyDialog } from "./KeyDialog.js";
import { SseDataReader } from "./SseDataReader.js";
import { StreamedAnswer } from "./StreamedAnswer.js";
import { TokenTip } from "./TokenTip.js";

/**
 * The playground page: a chat with one of the server's models through the server's own OpenAI-compatible API
 * (`/v1/models`, `/v1/chat/completions` streamed, `/apply-template` for the rendered prompt). The conversation is
 * kept in the page and sent whole with each message, as any client of the API does.
 */

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const model = byId<HTMLSelectElement>("model");
const log = byId<HTMLElement>("log");
const status = byId<HTMLElement>("status");
const composer = byId<HTMLFormElement>("composer");
const prompt = byId<HTMLTextAreaElement>("prompt");
const send = byId<HTMLButtonElement>("send");
const stop = byId<HTMLButtonElement>("stop");
const renderedPrompt = byId<HTMLElement>("rendered-prompt");
const format = byId<HTMLSelectElement>("format");
const schemaField = byId<HTMLElement>("schema-field");
/** The settings' fields by the name `chatRequestBody` gives them, to read them and to focus the one in error. */
const fields: Record<Exclude<keyof PlaygroundSettings, "model">, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement> = {
  system: byId("system"),
  temperature: byId("temperature"),
  topP: byId("top-p"),
  topK: byId("top-k"),
  maxTokens: byId("max-tokens"),
  seed: byId("seed"),
  format,
  schema: byId("schema"),
  logprobs: byId("logprobs"),
};

const keyDialog = new KeyDialog(byId<HTMLDialogElement>("key-dialog"));
const api = new ApiClient((reason) => keyDialog.ask(reason));
const tip = new TokenTip(byId("token-tip"), log);
/** The conversation so far, as sent with the next message. */
let turns: ChatTurn[] = [];
/** The answer being streamed: aborting it stops the request (the server frees its slot). */
let running: AbortController | undefined;

function say(text: string): void {
  status.textContent = text;
}

function settings(): PlaygroundSettings {
  const value = (field: keyof typeof fields): string => fields[field].value;
  return {
    model: model.value,
    system: value("system"),
    temperature: value("temperature"),
    topP: value("topP"),
    topK: value("topK"),
    maxTokens: value("maxTokens"),
    seed: value("seed"),
    format: value("format") as PlaygroundSettings["format"],
    schema: value("schema"),
    logprobs: (fields.logprobs as HTMLInputElement).checked,
  };
}

/** Lists the models the server can chat with, each with its status (loaded or not), keeping the one chosen. */
async function loadModels(): Promise<void> {
  const response = await api.fetch("/v1/models");
  if (!response.ok) throw new Error(await errorMessage(response));
  const list = (await response.json()) as { data: Array<{ id: string; status?: { value: string } }> };
  // an embedding-only model (--embedding-model) has no status: it cannot chat
  const chat = list.data.filter((card) => card.status !== undefined);
  const chosen = model.value;
  model.replaceChildren(...chat.map((card) => new Option(`${card.id} (${card.status!.value})`, card.id)));
  if (chat.some((card) => card.id === chosen)) model.value = chosen;
}

/** Shows the prompt the template makes of the request's conversation. */
async function showRenderedPrompt(body: Record<string, unknown>): Promise<void> {
  try {
    const response = await api.fetch("/apply-template", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ model: body.model, messages: body.messages }) });
    renderedPrompt.textContent = response.ok ? ((await response.json()) as { prompt: string }).prompt : `Not rendered: ${await errorMessage(response)}`;
  } catch (error) {
    renderedPrompt.textContent = `Not rendered: ${(error as Error).message}`;
  }
}

function setRunning(controller: AbortController | undefined): void {
  running = controller;
  send.disabled = controller !== undefined;
  stop.disabled = controller === undefined;
}

async function sendMessage(): Promise<void> {
  if (running) return;
  const text = prompt.value;
  if (text.trim() === "") return;
  if (model.value === "") await loadModels().catch((error: Error) => say(error.message));
  const chosen = settings();
  if (chosen.model === "") return say("There is no model to talk to.");
  const request = chatRequestBody(chosen, [...turns, { role: "user", content: text }]);
  if ("error" in request) {
    say(request.error);
    fields[request.field as keyof typeof fields].focus();
    return;
  }
  // "New chat" during the answer starts another conversation: this one's answer stays out of it
  const conversation = turns;
  conversation.push({ role: "user", content: text });
  prompt.value = "";
  const mine = element("div", "message user");
  mine.append(element("p", "who", "You"), element("div", "text", text));
  log.append(mine);
  const view = new AnswerView(log, chosen.model, tip);
  void showRenderedPrompt(request.body);
  const controller = new AbortController();
  setRunning(controller);
  say("Answering… (Escape stops)");
  const answer = new StreamedAnswer(chosen.logprobs);
  const sentAt = performance.now();
  try {
    const response = await api.fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request.body),
      signal: controller.signal,
    });
    if (!response.ok) throw new Error(await errorMessage(response));
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const events = new SseDataReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      for (const data of events.push(read.value)) {
        const piece = answer.apply(data, performance.now());
        if (piece) view.append(piece);
      }
    }
    if (!answer.done) answer.error ??= "The connection closed before the answer ended.";
  } catch (error) {
    if (!controller.signal.aborted) answer.error ??= (error as Error).message;
  } finally {
    setRunning(undefined);
  }
  const stopped = controller.signal.aborted;
  const stats = answerStats({ sentAt, firstTokenAt: answer.firstTokenAt, lastTokenAt: answer.lastTokenAt, tokens: answer.tokens });
  view.finish({ summary: stats.summary, reason: stopped ? "stopped" : answer.finishReason, error: answer.error });
  say(answer.error !== undefined ? `Error: ${answer.error}` : stopped ? "Stopped." : "Done.");
  if (answer.text === "" && answer.error !== undefined) {
    // nothing came of it: the message leaves the conversation and goes back to the composer, to try again
    conversation.pop();
    if (prompt.value === "") prompt.value = text;
  } else {
    conversation.push({ role: "assistant", content: answer.text });
  }
  // a request loads its model when it is not: the list says so now
  await loadModels().catch(() => undefined);
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  void sendMessage();
});
prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    void sendMessage();
  }
});
stop.addEventListener("click", () => running?.abort());
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && running) {
    event.preventDefault();
    running.abort();
    prompt.focus();
  }
});
format.addEventListener("change", () => {
  schemaField.hidden = format.value !== "json_schema";
});
byId("new-chat").addEventListener("click", () => {
  running?.abort();
  turns = [];
  log.replaceChildren();
  renderedPrompt.textContent = "Send a message to see its prompt.";
  say("New chat.");
  prompt.focus();
});

loadModels().then(
  () => say(""),
  (error: Error) => say(error.message),
);
prompt.focus();
