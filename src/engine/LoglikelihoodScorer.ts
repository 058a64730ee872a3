import {
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { chooseThreads, threadCap, type ThreadsSetting } from "./chooseThreads.js";
import { copySequencePrefix } from "./copySequencePrefix.js";
import type { ThreadsInfo } from "./ThreadsInfo.js";
import { rawLogprobRequest, readRawLogprobs } from "./rawLogprobs.js";
import { sharedLlama } from "./sharedLlama.js";

export interface ContinuationScore {
  /** Sum over the continuation's tokens of log p(token | everything before it). */
  logprob: number;
  /** Whether every continuation token is the model's most likely next token. */
  greedy: boolean;
}

export interface LoglikelihoodScorerOptions {
  modelPath: string;
  /** Tokens of the longest context + continuation. */
  contextSize: number;
  /** Continuations scored at once, in one batch (plus one sequence holding the shared context). */
  parallel: number;
  /** Documents scored at the same time (each with its own sequences; their evaluations share batches). Default 1. */
  documents?: number;
  /** As the engine's (`EngineOptions.threads`, `threadsBatch`): "auto" by default, measured at load. */
  threads?: number | "auto";
  threadsBatch?: number;
}

/**
 * The prompt chunk the thread counts are measured with: a scorer's batches are a context (tens to hundreds of
 * tokens) or the choices together (4 × ~16 tokens), batches of this size or more.
 */
const MEASURED_CHUNK = 64;

/** The sequences one document is scored on: the shared context and one branch per continuation scored at once. */
interface Lane {
  shared: LlamaContextSequence;
  branches: LlamaContextSequence[];
}

/**
 * Log-likelihoods of continuations given a context, from one evaluation each (never a decode per token): the
 * context is evaluated once, copied into one sequence per continuation, and the continuations are evaluated
 * together. Log-probabilities are the raw model's (log-softmax of the logits, no sampling transform). Calls may
 * overlap (up to `documents` run at once, the rest wait): node-llama-cpp then decodes their work in shared batches.
 */
export class LoglikelihoodScorer {
  private readonly waiting: Array<(lane: Lane) => void> = [];

  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly free: Lane[],
    /** The thread counts of its batches, and what was measured to choose them. */
    readonly threads: ThreadsInfo,
  ) {}

  static async load(options: LoglikelihoodScorerOptions): Promise<LoglikelihoodScorer> {
    const setting: ThreadsSetting = { threads: options.threads ?? "auto", ...(options.threadsBatch !== undefined ? { threadsBatch: options.threadsBatch } : {}) };
    const llama = await sharedLlama(threadCap(setting));
    let loaded: LlamaModel | undefined;
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath });
      loaded = model;
      const documents = options.documents ?? 1;
      const context = await model.createContext({ sequences: documents * (options.parallel + 1), contextSize: options.contextSize, threads: threadCap(setting) });
      // only a greedy generation decodes one token at a time, one stream; the rest are batches
      const threads = await chooseThreads(context, model, setting, { streams: 1, prefillChunk: MEASURED_CHUNK });
      const lanes = Array.from({ length: documents }, () => ({
        shared: context.getSequence(),
        branches: Array.from({ length: options.parallel }, () => context.getSequence()),
      }));
      return new LoglikelihoodScorer(model, context, lanes, threads);
    } catch (error) {
      await loaded?.dispose();
      throw error;
    }
  }

  /** Tokens of `text` as the evaluation harness encodes it: no BOS, special-token text read as text. */
  tokenize(text: string): number[] {
    return this.model.tokenize(text, false);
  }

  /** Scores every continuation after `context` (token ids, no BOS added). Both must be non-empty. */
  async score(context: readonly number[], continuations: ReadonlyArray<readonly number[]>): Promise<ContinuationScore[]> {
    if (context.length === 0 || continuations.some((c) => c.length === 0)) throw new Error("context and continuations must have tokens");
    const longest = context.length + Math.max(...continuations.map((c) => c.length));
    if (longest > this.context.contextSize) throw new Error(`a request of ${longest} tokens does not fit the scoring context of ${this.context.contextSize}`);
    return this.withLane(async ({ shared, branches }) => {
      // the shared sequence holds the context but its last token, whose output predicts each continuation's first
      const head = context.slice(0, -1) as Token[];
      await shared.adaptStateToTokens(head, false);
      if (shared.nextTokenIndex < head.length) await shared.evaluateWithoutGeneratingNewTokens(head.slice(shared.nextTokenIndex));
      const last = context.at(-1)! as Token;
      const scores: ContinuationScore[] = [];
      for (let start = 0; start < continuations.length; start += branches.length) {
        const group = continuations.slice(start, start + branches.length);
        // copies first, one at a time (node-llama-cpp runs them between decodes); then all branches in one batch
        for (const branch of branches.slice(0, group.length)) await this.seed(branch, shared, head);
        scores.push(...(await Promise.all(group.map((continuation, i) => this.scoreBranch(branches[i]!, last, continuation)))));
      }
      return scores;
    });
  }

  /**
   * Greedy continuation of `context` (token ids, no BOS): at most `maxTokens` tokens, stopping at end of sequence,
   * decoded alone (so, as Hugging Face's decode, without the first piece's leading space).
   */
  async generateGreedy(context: readonly number[], maxTokens: number): Promise<string> {
    if (context.length + maxTokens > this.context.contextSize) {
      throw new Error(`a prompt of ${context.length} tokens and ${maxTokens} to generate do not fit the scoring context of ${this.context.contextSize}`);
    }
    return this.withLane(async ({ branches }) => {
      const sequence = branches[0]!;
      await sequence.clearHistory();
      const generated: Token[] = [];
      for await (const token of sequence.evaluate(context as Token[], { temperature: 0 })) {
        generated.push(token);
        if (generated.length >= maxTokens) break;
      }
      return this.model.detokenize(generated);
    });
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }

  /** Runs `work` on a free lane, waiting for one when every lane is busy. */
  private async withLane<T>(work: (lane: Lane) => Promise<T>): Promise<T> {
    const lane = this.free.pop() ?? (await new Promise<Lane>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(lane);
    } finally {
      const next = this.waiting.shift();
      if (next) next(lane);
      else this.free.push(lane);
    }
  }

  /** Puts the shared context's KV cells into `branch`: copied, or recomputed where the copy is unavailable. */
  private async seed(branch: LlamaContextSequence, shared: LlamaContextSequence, head: Token[]): Promise<void> {
    if (head.length > 0 && (await copySequencePrefix(branch, shared, head.length))) return;
    await branch.clearHistory();
    if (head.length > 0) await branch.evaluateWithoutGeneratingNewTokens(head);
  }

  private async scoreBranch(branch: LlamaContextSequence, last: Token, continuation: readonly number[]): Promise<ContinuationScore> {
    // position i's output predicts token i + 1
    const input = [last, ...continuation.slice(0, -1)].map((token, i) => rawLogprobRequest(token as Token, continuation[i]! as Token));
    const outputs = await branch.controlledEvaluate(input);
    let logprob = 0;
    let greedy = true;
    continuation.forEach((target, i) => {
      const scores = readRawLogprobs(outputs[i]);
      logprob += scores.logprob(target as Token);
      greedy &&= scores.greedy === target;
    });
    return { logprob, greedy };
  }
}
