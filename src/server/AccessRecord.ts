import type { GenerationOutcome } from "../serving/GenerationObserver.js";

/** How a request ended, as the edge sees it once its response is written or abandoned. */
export interface AccessEnd {
  method: string;
  route: string;
  status: number;
  clientDisconnected: boolean;
}

/**
 * What the access log says of one request, filled in as it goes: the key, the model, when its first token came, its
 * generations' outcome; and, only when content logging is on, its prompt and output text.
 */
export class AccessRecord {
  readonly time = new Date();
  private readonly start: number;
  key: string | null = null;
  model: string | null = null;
  /** The request's prompt as given (messages, prompt or input); set only with content logging. */
  prompt: unknown = undefined;
  private outputs: string[] | undefined;
  private firstTokenMs: number | null = null;
  private outcome: GenerationOutcome | undefined;
  private settled: (() => void) | undefined;
  /** Set while a generation admitted for this request runs: the log line waits for its outcome. */
  running: Promise<void> | undefined;

  constructor(
    readonly id: string,
    private readonly clock: () => number,
    readonly logContent: boolean,
  ) {
    this.start = clock();
  }

  /** A generation was admitted; the line waits until it settles. */
  begin(): void {
    this.running = new Promise((resolve) => (this.settled = resolve));
    if (this.logContent) this.outputs = [];
  }

  text(index: number, text: string): void {
    this.firstTokenMs ??= this.clock() - this.start;
    if (this.outputs) this.outputs[index] = (this.outputs[index] ?? "") + text;
  }

  settle(outcome: GenerationOutcome): void {
    this.outcome = outcome;
    this.settled?.();
  }

  /** The JSON line. Prompt and output text appear only with content logging. */
  line(end: AccessEnd): string {
    const usage = this.outcome?.usage;
    return JSON.stringify({
      time: this.time.toISOString(),
      request_id: this.id,
      key: this.key,
      method: end.method,
      route: end.route,
      model: this.model,
      status: end.status,
      prompt_tokens: usage?.promptTokens ?? null,
      cached_tokens: usage?.cachedTokens ?? null,
      completion_tokens: usage?.completionTokens ?? null,
      queue_ms: this.outcome?.queueMs ?? null,
      ttft_ms: this.firstTokenMs,
      total_ms: this.clock() - this.start,
      finish_reasons: this.outcome ? Array.from(this.outcome.finishReasons, (reason) => reason ?? null) : null,
      client_disconnected: end.clientDisconnected,
      ...(this.logContent && this.prompt !== undefined ? { prompt: this.prompt } : {}),
      ...(this.outputs ? { output: Array.from(this.outputs, (text) => text ?? "") } : {}),
    });
  }
}
