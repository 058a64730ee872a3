import type { ContinuationScorer } from "./runEvaluation.js";

interface CompletionChoice {
  index: number;
  text: string;
  logprobs: { tokens: string[]; token_logprobs: Array<number | null>; top_logprobs: Array<Record<string, number> | null> } | null;
}

/**
 * Scores through a running hermes-serve, llama-server or vLLM (any server with a `/tokenize` in llama-server's or
 * vLLM's shape and OpenAI's legacy completions with `echo` + `logprobs`), directly or through a load balancer in
 * front of several (a 503 or 429 is retried after its Retry-After), the way lm-evaluation-harness scores through an
 * API: the prompt is
 * context + continuation as token ids, `max_tokens: 0`, and the continuation's log-likelihood is the sum of its
 * tokens' `token_logprobs`; it is greedy when each token is the most likely one of its `top_logprobs`.
 */
export class HttpContinuationScorer implements ContinuationScorer {
  private constructor(
    /** The API base, e.g. http://127.0.0.1:8080/v1. */
    private readonly base: string,
    private readonly apiKey: string | undefined,
    readonly model: string,
  ) {}

  /** Connects to `target` (an API base URL) and takes the model it serves. */
  static async connect(target: string, apiKey?: string): Promise<HttpContinuationScorer> {
    const base = target.replace(/\/+$/, "");
    const models = (await request(`${base}/models`, undefined, apiKey)) as { data?: Array<{ id: string }> };
    const model = models.data?.[0]?.id;
    if (model === undefined) throw new Error(`${base}/models lists no model`);
    return new HttpContinuationScorer(base, apiKey, model);
  }

  /** The server's tokenization: no BOS, special-token text read as text (as the harness encodes). */
  async tokenize(text: string): Promise<number[]> {
    const origin = new URL(this.base).origin;
    return tokensOf(await request(`${origin}/tokenize`, tokenizeBody(this.model, text), this.apiKey));
  }

  /** One request for all continuations of the context: one prompt each, scored on the server's slots at once. */
  async score(context: readonly number[], continuations: ReadonlyArray<readonly number[]>): Promise<Array<{ logprob: number; greedy: boolean }>> {
    const choices = await this.complete({
      prompt: continuations.map((continuation) => [...context, ...continuation]),
      max_tokens: 0,
      echo: true,
      logprobs: 1,
      temperature: 0,
    });
    return continuations.map((continuation, i) => {
      const logprobs = choices.find((choice) => choice.index === i)?.logprobs;
      if (!logprobs) throw new Error(`the server returned no logprobs for prompt ${i}`);
      let logprob = 0;
      let greedy = true;
      for (let position = context.length; position < context.length + continuation.length; position++) {
        const value = logprobs.token_logprobs[position];
        const top = logprobs.top_logprobs[position];
        if (value == null || !top) throw new Error(`the server returned no logprob for token ${position} of prompt ${i}`);
        logprob += value;
        const [best] = Object.entries(top).sort((a, b) => b[1] - a[1])[0] ?? [];
        greedy &&= best === logprobs.tokens[position];
      }
      return { logprob, greedy };
    });
  }

  /**
   * Greedy continuation of `context`, decoded alone like the in-process scorer's: the server decodes it after the
   * context, so a leading space that belongs to the first token's piece is dropped.
   */
  async generateGreedy(context: readonly number[], maxTokens: number): Promise<string> {
    const [choice] = await this.complete({ prompt: [...context], max_tokens: maxTokens, temperature: 0, logprobs: 0 });
    if (!choice) throw new Error("the server returned no choice");
    const first = choice.logprobs?.tokens[0] ?? "";
    return first.startsWith(" ") && choice.text.startsWith(" ") ? choice.text.slice(1) : choice.text;
  }

  private async complete(body: Record<string, unknown>): Promise<CompletionChoice[]> {
    const response = (await request(`${this.base}/completions`, { model: this.model, ...body }, this.apiKey)) as { choices: CompletionChoice[] };
    return response.choices;
  }
}

/**
 * A `/tokenize` request both llama-server (hermes-serve's) and vLLM read: each takes its own fields and ignores the
 * other's (`content` / `add_special` / `parse_special`; `prompt` / `add_special_tokens`).
 */
export function tokenizeBody(model: string, text: string): Record<string, unknown> {
  return { model, content: text, add_special: false, parse_special: false, prompt: text, add_special_tokens: false };
}

/** The token ids of a `/tokenize` answer: llama-server's `{tokens}` (ids, or `{id, piece}` with pieces) or vLLM's `{count, tokens}`. */
export function tokensOf(body: unknown): number[] {
  const tokens = (body as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(tokens)) throw new Error("the server's /tokenize answered without 'tokens'");
  return tokens.map((token: unknown) => {
    const id = typeof token === "object" && token !== null ? (token as { id?: unknown }).id : token;
    if (typeof id !== "number" || !Number.isInteger(id)) throw new Error(`the server's /tokenize answered a token that is not an id: ${JSON.stringify(token)}`);
    return id;
  });
}

/** Tries of one request refused for now (503, 429), and the longest wait between two. */
const TRIES = 6;
const MAX_WAIT_MS = 30_000;

async function request(url: string, body: unknown, apiKey: string | undefined): Promise<unknown> {
  const headers: Record<string, string> = apiKey !== undefined ? { Authorization: `Bearer ${apiKey}` } : {};
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(
      url,
      body === undefined ? { headers } : { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) },
    );
    const json = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    if (response.ok) return json;
    // every replica busy (or draining, or rate-limited): the request did not run, so it is sent again
    if ((response.status === 503 || response.status === 429) && attempt < TRIES) {
      const header = response.headers.get("retry-after");
      const seconds = header === null ? Number.NaN : Number(header);
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_WAIT_MS, Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000)));
      continue;
    }
    throw new Error(`${url}: ${response.status} ${json?.error?.message ?? response.statusText}`);
  }
}
