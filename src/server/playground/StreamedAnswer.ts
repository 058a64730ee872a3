/** A token the model could have written, with its log-probability. */
export interface TokenChoice {
  token: string;
  logprob: number;
}

/** A token of the answer, and the most likely tokens it was sampled among. */
export interface AnswerToken extends TokenChoice {
  top: TokenChoice[];
}

/** What one event adds to the answer: its text, and the tokens whose logprobs came with it. */
export interface AnswerPiece {
  text: string;
  tokens: AnswerToken[];
}

export interface AnswerUsage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

/** The parts of a chat completion chunk (or of a stream's error event) the page reads. */
interface ChunkData {
  error?: { message?: string };
  usage?: AnswerUsage | null;
  choices?: Array<{
    delta?: { content?: string | null };
    logprobs?: { content?: Array<{ token: string; logprob: number; top_logprobs?: TokenChoice[] }> | null } | null;
    finish_reason?: string | null;
  }>;
}

/**
 * One streamed chat answer as its events arrive (each event's `data`, `[DONE]` included): the text so far, the
 * times its first and last tokens came, its finish reason, its usage, or the error the stream ended with. The server holds a
 * token's logprobs back until the delta after it, so the tokens of a piece are not always its own text's: the page
 * shows them on the piece they came with.
 */
export class StreamedAnswer {
  text = "";
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
  finishReason: string | undefined;
  usage: AnswerUsage | undefined;
  error: string | undefined;
  done = false;
  /** Tokens counted as they came: one per logprobs entry, or one per content delta without logprobs. */
  private counted = 0;

  /** `withLogprobs`: the request asked for them (then they count the tokens). */
  constructor(private readonly withLogprobs: boolean) {}

  /** The answer's tokens: the usage's count, or, for an answer stopped before its usage came, those counted. */
  get tokens(): number {
    return this.usage?.completion_tokens ?? this.counted;
  }

  /** Reads one event's data (at time `now`, in ms); returns what it adds to the answer's text, if anything. */
  apply(data: string, now: number): AnswerPiece | undefined {
    if (data === "[DONE]") {
      this.done = true;
      return undefined;
    }
    let chunk: ChunkData;
    try {
      chunk = JSON.parse(data) as ChunkData;
    } catch {
      this.error = `The server sent an event that is not JSON: ${data.slice(0, 80)}`;
      return undefined;
    }
    if (chunk.error) {
      this.error = chunk.error.message ?? "The server ended the answer with an error.";
      return undefined;
    }
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return undefined;
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    const text = choice.delta?.content ?? "";
    const tokens = (choice.logprobs?.content ?? []).map((t): AnswerToken => ({ token: t.token, logprob: t.logprob, top: t.top_logprobs ?? [] }));
    if (text === "" && tokens.length === 0) return undefined;
    this.firstTokenAt ??= now;
    this.lastTokenAt = now;
    this.counted += this.withLogprobs ? tokens.length : text === "" ? 0 : 1;
    this.text += text;
    return { text, tokens };
  }
}
