import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { MODEL_ID, startTestServer, type TestServer } from "./helpers/testServer.js";
import { generatedModel } from "./helpers/generatedModel.js";

/** Debian's Chromium, which `.ci/run` installs; another binary through CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Where the screenshots go (ignored by git). */
const ARTIFACTS = resolve("test-artifacts/playground");
/** Bound of every wait on the page: a model answers a few hundred tokens well within it, even on a busy machine. */
const WAIT_MS = 60_000;
const SECOND_MODEL = "playground-b";

const NO_CHROMIUM = `no Chromium at ${CHROMIUM}: the playground's test drives a real browser. Install it (apt-get install chromium) or point CHROMIUM_PATH at one.`;

function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(NO_CHROMIUM);
  return chromium.launch({ executablePath: CHROMIUM, timeout: WAIT_MS });
}

// a failure of its own, so that a machine without Chromium fails with the reason first, never skips
test("Chromium is installed for the playground's tests", () => {
  assert.ok(existsSync(CHROMIUM), NO_CHROMIUM);
});

/** A second generated model under its own name, for switching models. */
function secondModel(): string {
  return generatedModel(`${SECOND_MODEL}.gguf`, { shape: "tiny", type: "f32", seed: 2, name: SECOND_MODEL });
}

/** A page whose console errors and uncaught exceptions are kept, to be checked at the end (a CSP violation is one). */
async function openPage(browser: Browser, url: string, width = 1200): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.setDefaultTimeout(WAIT_MS);
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(url);
  return { page, problems };
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** The newest answer in the conversation (the log's last message once a message is sent). */
const LAST_ANSWER = "#log > .message.assistant:last-child";

/** The text of the last answer, whether it is still streaming, its figures and its error. */
async function lastAnswer(page: Page): Promise<{ text: string; busy: boolean; stats: string; error: string | null }> {
  const answer = page.locator(LAST_ANSWER);
  const error = answer.locator(".error");
  return {
    text: (await answer.locator(".answer").textContent()) ?? "",
    busy: (await answer.getAttribute("aria-busy")) === "true",
    stats: (await answer.locator(".stats").textContent()) ?? "",
    error: (await error.count()) > 0 ? await error.textContent() : null,
  };
}

/** Waits until the last answer has ended (bounded), and returns it. */
async function answerDone(page: Page): Promise<{ text: string; stats: string; error: string | null }> {
  await page.locator(`${LAST_ANSWER}[aria-busy="false"]`).waitFor();
  return lastAnswer(page);
}

/** Waits until the page has listed `count` models. */
async function modelsListed(page: Page, count: number): Promise<void> {
  await page.locator("#model option").nth(count - 1).waitFor({ state: "attached" });
  assert.equal(await page.locator("#model option").count(), count);
}

/** Types a message and sends it with Enter, as a user does. */
async function sendMessage(page: Page, text: string): Promise<void> {
  const answers = await page.locator(".message.assistant").count();
  await page.locator("#prompt").fill(text);
  await page.locator("#prompt").press("Enter");
  await page.locator(".message.assistant").nth(answers).waitFor({ timeout: WAIT_MS });
}

/** Polls `read` until `condition` holds on its value, at most `timeoutMs`. */
async function eventually<T>(read: () => Promise<T>, condition: (value: T) => boolean, what: string, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (condition(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}: last ${JSON.stringify(value)}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

interface AccessLine {
  route: string;
  model: string | null;
  status: number;
  client_disconnected: boolean;
  prompt?: Array<{ role: string; content: string }>;
}

describe("the web playground, in Chromium, against the real server", () => {
  let server: TestServer;
  let browser: Browser;
  const accessLog: AccessLine[] = [];
  const chatRequests = (): AccessLine[] => accessLog.filter((line) => line.route === "/v1/chat/completions");

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    server = await startTestServer({ moreModels: [secondModel()], accessLog: (line) => accessLog.push(JSON.parse(line) as AccessLine), logContent: true, moderation: "off" });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test("GET / is the page, with no key, under a strict Content-Security-Policy; its files are served by name only", async () => {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    const policy = response.headers.get("content-security-policy") ?? "";
    assert.match(policy, /default-src 'self'/);
    assert.match(policy, /script-src 'self'(;|$)/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    const html = await response.text();
    assert.match(html, /<script type="module" src="\/playground\/main\.js"><\/script>/);
    assert.deepEqual(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g), null, "no inline script");
    assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/, "no inline style or handler");
    const module = await fetch(`${server.url}/playground/main.js`);
    assert.equal(module.status, 200);
    assert.match(module.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.match(module.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    for (const path of ["/playground/missing.js", "/playground/..%2F..%2Fpackage.json", "/playground/main.js.map", "/playground/main.ts"]) {
      const missing = await fetch(`${server.url}${path}`);
      assert.equal(missing.status, 404, path);
      assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "not_found");
    }
  });

  test("POST /apply-template renders a conversation with the model's template; unknown models and bad bodies are the API's errors", async () => {
    const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hi" }];
    const rendered = await fetch(`${server.url}/apply-template`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ messages }) });
    assert.equal(rendered.status, 200);
    assert.deepEqual(await rendered.json(), { prompt: "Be brief.\n\n### Instruction:\nSay hi\n\n### Response:\n" });
    // tools are described as a chat request's are (this model's template has no tools of its own: in the system message)
    const tools = [{ type: "function", function: { name: "get_weather", description: "The weather in a city", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const withTools = (await (await fetch(`${server.url}/apply-template`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ messages, tools }) })).json()) as { prompt: string };
    assert.match(withTools.prompt, /^Be brief\.[^]*get_weather[^]*### Instruction:\nSay hi\n\n### Response:\n$/);
    const named = await fetch(`${server.url}/apply-template`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ model: "nope", messages }) });
    assert.equal(named.status, 404);
    assert.equal(((await named.json()) as { error: { code: string } }).error.code, "model_not_found");
    const bad = await fetch(`${server.url}/apply-template`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ messages: "hi" }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { param: string } }).error.param, "messages");
  });

  test("the page lists the models with their status, streams an answer as it comes, and shows its figures and rendered prompt", async () => {
    const { page, problems } = await openPage(browser, `${server.url}/`);
    await modelsListed(page, 2);
    const options = await page.locator("#model option").allTextContents();
    assert.deepEqual(options, [`${MODEL_ID} (loaded)`, `${SECOND_MODEL} (unloaded)`]);
    await page.locator("#seed").fill("1");
    await page.locator("#max-tokens").fill("300");
    await sendMessage(page, "Tell me a story");
    // two observations of the same answer while it streams: the text grows between them
    const first = await eventually(() => lastAnswer(page), (answer) => answer.text.length > 0, "the answer's first text");
    assert.equal(first.busy, true, "still streaming at the first observation");
    const growing = await eventually(() => lastAnswer(page), (answer) => answer.text.length > first.text.length, "the answer grows");
    assert.ok(growing.text.startsWith(first.text));
    const done = await answerDone(page);
    assert.ok(done.text.length >= growing.text.length);
    assert.equal(done.error, null);
    assert.match(done.stats, /^300 tokens · [\d.]+ tokens\/s · first token \d+ ms · length$/);
    assert.equal(await page.locator("#status").textContent(), "Done.");
    await page.locator("#prompt-panel summary").click();
    const prompt = await page.locator("#rendered-prompt").textContent();
    assert.equal(prompt, "### Instruction:\nTell me a story\n\n### Response:\n");
    await screenshot(page, "streamed-answer");

    // the conversation is kept: the next message goes with the first exchange
    await page.locator("#max-tokens").fill("4");
    await sendMessage(page, "And then?");
    await answerDone(page);
    const sent = chatRequests().at(-1)!.prompt!;
    assert.deepEqual(sent.map((m) => m.role), ["user", "assistant", "user"]);
    assert.equal(sent[1]!.content, done.text);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("hovering a token shows its probability and its 5 most likely alternatives; the arrow keys reach them too", async () => {
    const { page, problems } = await openPage(browser, `${server.url}/`);
    await modelsListed(page, 2);
    await page.locator("#max-tokens").fill("12");
    await sendMessage(page, "Hello");
    await answerDone(page);
    const token = page.locator(".message.assistant .answer .token").first();
    await token.hover();
    const tip = page.locator("#token-tip");
    await tip.waitFor({ state: "visible" });
    assert.match((await tip.locator(".tip-token").first().textContent()) ?? "", /^".*" (<?[\d.]+)%$/);
    const alternatives = await tip.locator(".tip-top").first().locator("li").allTextContents();
    assert.equal(alternatives.length, 5);
    for (const alternative of alternatives) assert.match(alternative, /^".*"<?[\d.]+%$/);
    assert.equal(await token.getAttribute("aria-describedby"), "token-tip");
    await screenshot(page, "token-alternatives");
    await page.mouse.move(0, 0);
    await tip.waitFor({ state: "hidden" });
    // the keyboard's way: the answer takes focus, ArrowRight steps to its first token
    await page.locator(".message.assistant .answer").focus();
    await page.keyboard.press("ArrowRight");
    await tip.waitFor({ state: "visible" });
    assert.equal(await page.locator(".token:focus").count(), 1, "a token has the focus");
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("Escape (or Stop) stops a long answer: the stream ends, the client's leaving reaches the server and its slot is freed", async () => {
    const { page, problems } = await openPage(browser, `${server.url}/`);
    await modelsListed(page, 2);
    // no max tokens: the rest of the context, far more than comes before Escape
    await sendMessage(page, "Go on and on");
    await page.locator(`${LAST_ANSWER} .answer span`).first().waitFor();
    assert.equal(await page.locator("#stop").isEnabled(), true);
    await page.keyboard.press("Escape");
    const stopped = await answerDone(page);
    assert.match(stopped.stats, /^\d+ tokens? · .* · stopped$/);
    assert.equal(stopped.error, null);
    assert.equal(await page.locator("#status").textContent(), "Stopped.");
    assert.equal(await page.locator("#send").isEnabled(), true);
    assert.equal(await page.locator("#stop").isEnabled(), false);
    const health = (): Promise<{ slots: { busy: number } }> => fetch(`${server.url}/health`).then((r) => r.json() as Promise<{ slots: { busy: number } }>);
    await eventually(health, (h) => h.slots.busy === 0, "the stopped answer's slot is free");
    const line = await eventually(async () => chatRequests().at(-1), (l) => l?.prompt?.[0]?.content === "Go on and on", "the stopped request's access log line");
    assert.equal(line!.client_disconnected, true);
    await screenshot(page, "stopped");
    // the Stop button does the same
    await sendMessage(page, "Go on again");
    await page.locator(`${LAST_ANSWER} .answer span`).first().waitFor();
    await page.locator("#stop").click();
    assert.match((await answerDone(page)).stats, / · stopped$/);
    await eventually(health, (h) => h.slots.busy === 0, "the second stopped answer's slot is free");
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("switching the model: the next request names it, and the list shows it loaded", async () => {
    const { page, problems } = await openPage(browser, `${server.url}/`);
    await modelsListed(page, 2);
    await page.locator("#model").selectOption(SECOND_MODEL);
    await page.locator("#max-tokens").fill("6");
    await sendMessage(page, "Who are you?");
    const done = await answerDone(page);
    assert.equal(done.error, null);
    assert.equal(chatRequests().at(-1)!.model, SECOND_MODEL);
    assert.equal(await page.locator(".message.assistant .who").last().textContent(), SECOND_MODEL);
    await page.locator("#model option", { hasText: `${SECOND_MODEL} (loaded)` }).waitFor({ state: "attached" });
    assert.equal(await page.locator("#model").inputValue(), SECOND_MODEL, "the choice is kept when the list is refreshed");
    await screenshot(page, "second-model");
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("JSON mode gives JSON that parses; a JSON schema gives JSON that fits it", async () => {
    const { page, problems } = await openPage(browser, `${server.url}/`);
    await modelsListed(page, 2);
    await page.locator("#max-tokens").fill("40");
    await page.locator("#format").selectOption("json_object");
    assert.equal(await page.locator("#schema").isVisible(), false);
    await sendMessage(page, "Answer in JSON");
    const object = await answerDone(page);
    assert.equal(object.error, null);
    const parsed = JSON.parse(object.text) as unknown;
    assert.ok(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), object.text);
    await page.locator("#format").selectOption("json_schema");
    assert.equal(await page.locator("#schema").isVisible(), true);
    await sendMessage(page, "Answer in JSON again");
    const typed = await answerDone(page);
    assert.equal(typeof (JSON.parse(typed.text) as { answer: unknown }).answer, "string", typed.text);
    // a schema that does not parse never leaves the page: the field is named and focused
    await page.locator("#schema").fill("{");
    await page.locator("#prompt").fill("Once more");
    await page.locator("#prompt").press("Enter");
    await page.locator("#status", { hasText: "The JSON schema does not parse" }).waitFor();
    assert.equal(await page.locator("#schema:focus").count(), 1, "the schema has the focus");
    await screenshot(page, "json");
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("at a phone's 375 px nothing scrolls sideways; every control has a label; Shift+Enter is a new line, Enter sends", async () => {
    const { page, problems } = await openPage(browser, `${server.url}/`, 375);
    await modelsListed(page, 2);
    await page.locator("#max-tokens").fill("40");
    // Shift+Enter is a new line in the message, not a send
    await page.locator("#prompt").fill("A short line");
    await page.locator("#prompt").press("Shift+Enter");
    await page.locator("#prompt").pressSequentially("for a small screen");
    assert.equal(await page.locator("#prompt").inputValue(), "A short line\nfor a small screen");
    assert.equal(await page.locator(".message").count(), 0);
    await page.locator("#prompt").press("Enter");
    await answerDone(page);
    assert.equal(await page.locator(".message.user .text").textContent(), "A short line\nfor a small screen");
    assert.equal(await page.evaluate("document.documentElement.scrollWidth"), 375);
    // (the test compiles without the DOM's types: the page's side is a string)
    const unlabelled = await page.evaluate("[...document.querySelectorAll('input, select, textarea')].filter((c) => c.labels.length === 0).map((c) => c.id)");
    assert.deepEqual(unlabelled, []);
    await screenshot(page, "phone");
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe("the playground with --api-key", () => {
  const KEY = "playground-key";
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    server = await startTestServer({ apiKey: KEY, moderation: "off" });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test("the page needs no key; it asks for one when the API refuses, asks again for a wrong one, and keeps it in session storage only", async () => {
    assert.equal((await fetch(`${server.url}/`)).status, 200);
    assert.equal((await fetch(`${server.url}/v1/models`)).status, 401);
    assert.equal((await fetch(`${server.url}/apply-template`, { method: "POST", body: "{}" })).status, 401);
    const { page, problems } = await openPage(browser, `${server.url}/`);
    const dialog = page.locator("#key-dialog");
    await dialog.waitFor({ state: "visible" });
    assert.equal(await page.locator("#key-reason").textContent(), "This server needs an API key.");
    await screenshot(page, "key-dialog");
    await page.locator("#key").fill("wrong-key");
    await page.locator("#key").press("Enter");
    await page.locator("#key-reason", { hasText: "The server refused that key: try another." }).waitFor();
    await page.locator("#key").fill(KEY);
    await page.locator("#key").press("Enter");
    await dialog.waitFor({ state: "hidden" });
    await modelsListed(page, 1);
    const storage = await page.evaluate("({ session: sessionStorage.getItem('hermes-playground-api-key'), local: localStorage.length, cookie: document.cookie })");
    assert.deepEqual(storage, { session: KEY, local: 0, cookie: "" });
    assert.equal((await page.content()).includes(KEY), false, "the key is nowhere in the page");
    await page.locator("#max-tokens").fill("5");
    await sendMessage(page, "Hello with a key");
    const done = await answerDone(page);
    assert.equal(done.error, null);
    assert.match(await page.locator("#rendered-prompt").textContent() ?? "", /Hello with a key/);
    // the browser logs each refused request as a failed resource: those two are expected, nothing else
    assert.deepEqual(problems.filter((p) => !/status of 401/.test(p)), []);
    assert.equal(problems.length, 2);
    await page.close();
  });
});

test("--no-playground: / is a 404 in the API's shape, and /apply-template still answers", async () => {
  const server = await startTestServer({ playground: false, moderation: "off" });
  try {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "not_found");
    assert.equal((await fetch(`${server.url}/playground/main.js`)).status, 404);
    const rendered = await fetch(`${server.url}/apply-template`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ messages: [{ role: "user", content: "x" }] }) });
    assert.equal(rendered.status, 200);
  } finally {
    await server.close();
  }
});
