import type { ContinuationScorer } from "./runEvaluation.js";

interface CompletionChoice {
  index: number;
  text: string;
  logprobs: { tokens: string[]; token_logprobs: Array<number | null>; top_logprobs: Array<Record<string, number> | null> } | null;
}

/**
 * Scores through a running hermes-serve (or any server with llama-server's `/tokenize` and OpenAI's legacy
 * completions with `echo` + `logprobs`), the way lm-evaluation-harness scores through an API: the prompt is
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
    const body = (await request(`${origin}/tokenize`, { content: text, add_special: false, parse_special: false }, this.apiKey)) as { tokens: number[] };
    return body.tokens;
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

async function request(url: string, body: unknown, apiKey: string | undefined): Promise<unknown> {
  const headers: Record<string, string> = apiKey !== undefined ? { Authorization: `Bearer ${apiKey}` } : {};
  const response = await fetch(
    url,
    body === undefined ? { headers } : { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) },
  );
  const json = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${json?.error?.message ?? response.statusText}`);
  return json;
}
