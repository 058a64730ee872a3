import type { ControlledEvaluateInputItem, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type { Job } from "./Job.js";
import { rawLogprobRequest, readRawLogprobs } from "./rawLogprobs.js";
import { StopMatcher } from "./StopMatcher.js";
import type { TokenPieces } from "./TokenPieces.js";
import { TokenReleaseQueue } from "./TokenReleaseQueue.js";
import { TokenTextDecoder } from "./TokenTextDecoder.js";
import type { FinishReason, GenerationTimings, TokenAlternative, TokenLogprob } from "./types.js";

/**
 * A structured output is closed (`Job.close`) once the tokens left are at most the closing text's plus this: one
 * more sampled token (a new key, a nested object) can lengthen the closing text by a few tokens.
 */
const CLOSING_MARGIN = 16;

/** The floor of reported logprobs: a probability that underflows to 0 is reported as this, as OpenAI does. */
const MIN_LOGPROB = -9999;

/** A sampled token, with its probability and the candidates' (sorted, most likely first) when they were asked for. */
export interface Sampled {
  token: Token;
  confidence?: number;
  probabilities?: Map<Token, number>;
}

/**
 * One job's output pipeline: sampled tokens to text (whole characters, stop strings cut and held back), their
 * logprobs released with their text, a structured output closed when its tokens run out, the prompt's logprobs,
 * and the job's last events. Text goes out through `emit` (the scheduler decides when it reaches the reader);
 * `finish` pushes the last events to the job's sink itself.
 */
export class JobOutput {
  completionTokens = 0;
  /** The sampled tokens but end of sequence (the repetition penalties' window). */
  readonly generated: Token[] = [];
  private readonly decoder: TokenTextDecoder;
  private readonly matcher: StopMatcher;
  /** The stop string that ended the text: what the matcher holds back is never sent. */
  private stoppedBy: string | undefined;
  /** The decoded text so far (structured outputs only), and the text that closed it when the tokens ran out. */
  private text = "";
  private closing = "";
  /** The closer failed on this text (deeper than it follows): it is not asked again. */
  private unclosable = false;
  /** The generated tokens' logprobs, released with their text (when the job asks for logprobs). */
  private readonly logprobs: TokenReleaseQueue<TokenLogprob> | undefined;
  /** The prompt tokens' logprobs so far, and the decoder of the prompt text their offsets count (prompt logprobs). */
  private readonly prompt: { logprobs: TokenLogprob[]; decoder: TokenTextDecoder; length: number } | undefined;

  constructor(
    private readonly model: LlamaModel,
    private readonly pieces: TokenPieces,
    private readonly job: Job,
    private readonly emit: (text: string, logprobs: TokenLogprob[] | undefined) => void,
  ) {
    this.decoder = this.textDecoder(job.prompt);
    this.matcher = new StopMatcher(job.stop);
    this.logprobs = job.logprobs === undefined ? undefined : new TokenReleaseQueue();
    this.prompt = job.promptLogprobs === undefined ? undefined : { logprobs: [], decoder: this.textDecoder([]), length: 0 };
    if (this.prompt) this.recordPromptToken(job.prompt[0]!, null, []);
  }

  /** Turns a sampled token into text; returns the finish reason when the generation is over. */
  accept(sampled: Sampled): FinishReason | undefined {
    const token = sampled.token;
    this.completionTokens++;
    if (this.model.isEogToken(token)) return "stop";
    this.generated.push(token);
    const piece = this.decoder.push(token);
    if (this.logprobs) {
      const record = this.sampledLogprob(sampled, this.job.logprobs ?? 0);
      record.offset = this.logprobs.add(record, piece.length);
    }
    if (piece !== "") {
      const { text, stop } = this.matcher.push(piece);
      const logprobs = this.logprobs?.release(text.length);
      if (text !== "") this.emit(text, logprobs);
      if (stop !== undefined) {
        this.stoppedBy = stop;
        return "stop";
      }
    }
    if (this.job.close) return this.closeIfOutOfTokens(piece);
    return this.completionTokens >= this.job.maxTokens ? "length" : undefined;
  }

  /**
   * Evaluates `tokens`, the part of the prompt from `start`, reading at each position the raw model's logprob of
   * the prompt's next token and of the `promptLogprobs` most likely tokens (`rawLogprobs.ts`: no full vocabulary
   * transfer).
   */
  async scorePrompt(sequence: LlamaContextSequence, start: number, tokens: readonly Token[]): Promise<void> {
    const prompt = this.job.prompt;
    const top = this.job.promptLogprobs ?? 0;
    const input = tokens.map((token, j): ControlledEvaluateInputItem => {
      const target = prompt[start + j + 1];
      return target === undefined ? token : rawLogprobRequest(token, target, top);
    });
    const outputs = await sequence.controlledEvaluate(input);
    tokens.forEach((_, j) => {
      const target = prompt[start + j + 1];
      if (target === undefined) return;
      const scores = readRawLogprobs(outputs[j]);
      const alternatives = scores.top(top).map(([token, logprob]): TokenAlternative => ({ token, ...this.pieces.piece(token), logprob: clampLogprob(logprob) }));
      this.recordPromptToken(target, clampLogprob(scores.logprob(target)), alternatives);
    });
  }

  /** The prompt's logprobs, once it is all scored. */
  promptLogprobs(): TokenLogprob[] {
    return this.prompt?.logprobs ?? [];
  }

  /**
   * The job's last events, once it finished (its slot already freed): the text held back for stop strings (and the
   * closing), with its logprobs, then `done` with the usage, the stop string that ended it (if one did) and the
   * timings the scheduler measured; then its events end.
   */
  finish(reason: FinishReason, cachedTokens: number, timings: GenerationTimings): void {
    const events = this.job.events;
    const rest = this.rest();
    if (rest.logprobs?.length) events.push({ type: "text", text: rest.text, logprobs: rest.logprobs });
    else if (rest.text !== "") events.push({ type: "text", text: rest.text });
    const usage = { promptTokens: this.job.prompt.length, completionTokens: this.completionTokens, cachedTokens };
    events.push({ type: "done", finishReason: reason, usage, ...timings, ...(this.stoppedBy !== undefined ? { stopSequence: this.stoppedBy } : {}) });
    events.close();
  }

  /** What is still to send when the job finishes: the text held back (and its closing), with its logprobs. */
  private rest(): { text: string; logprobs: TokenLogprob[] | undefined } {
    if (this.stoppedBy !== undefined) return { text: "", logprobs: undefined };
    return { text: this.matcher.flush() + this.closing, logprobs: this.logprobs?.drain() };
  }

  /**
   * A structured output whose tokens are running out is closed: the shortest text that makes it whole (and valid)
   * is appended, and counted as completion tokens. It ends as "length": the model did not finish it.
   */
  private closeIfOutOfTokens(piece: string): FinishReason | undefined {
    this.text += piece;
    if (this.unclosable) return this.completionTokens >= this.job.maxTokens ? "length" : undefined;
    let closing: string;
    try {
      closing = this.job.close!(this.text);
    } catch {
      // a text the closer cannot complete (nested deeper than it follows): the output goes on under its grammar and,
      // if its tokens run out, ends as it is, like any other
      this.unclosable = true;
      return this.completionTokens >= this.job.maxTokens ? "length" : undefined;
    }
    // whole already: the grammar lets only end of sequence follow
    if (closing === "") return this.completionTokens >= this.job.maxTokens ? "length" : undefined;
    const remaining = this.job.maxTokens - this.completionTokens;
    // a token holds at least one byte: most steps need no tokenization to know there is room
    if (remaining > Buffer.byteLength(closing) + CLOSING_MARGIN) return undefined;
    const needed = this.model.tokenize(closing).length;
    if (remaining > needed + CLOSING_MARGIN) return undefined;
    this.closing = closing;
    this.completionTokens += needed;
    return "length";
  }

  /** A sampled token's logprob and `top` alternatives, from the distribution the sampler drew it from. */
  private sampledLogprob(sampled: Sampled, top: number): TokenLogprob {
    const alternatives: TokenAlternative[] = [];
    for (const [token, probability] of sampled.probabilities ?? []) {
      if (alternatives.length === top) break;
      alternatives.push({ token, ...this.pieces.piece(token), logprob: logOf(probability) });
    }
    return { token: sampled.token, ...this.pieces.piece(sampled.token), logprob: logOf(sampled.confidence ?? 0), top: alternatives, offset: 0 };
  }

  private recordPromptToken(token: Token, logprob: number | null, top: TokenAlternative[]): void {
    const prompt = this.prompt!;
    prompt.logprobs.push({ token, ...this.pieces.piece(token), logprob, top, offset: prompt.length });
    prompt.length += prompt.decoder.push(token).length;
  }

  private textDecoder(context: readonly Token[]): TokenTextDecoder {
    return new TokenTextDecoder((tokens, last) => this.model.detokenize(tokens as Token[], false, last as Token[]), context);
  }
}

function clampLogprob(logprob: number): number {
  return Math.max(logprob, MIN_LOGPROB);
}

function logOf(probability: number): number {
  return clampLogprob(Math.log(probability));
}
