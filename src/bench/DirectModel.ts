import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { evaluateOptions } from "../engine/evaluateOptions.js";
import { sharedLlama } from "../engine/sharedLlama.js";
import type { SamplingParams } from "../engine/types.js";

/**
 * The baseline: the same model decoded in this process with node-llama-cpp alone (one sequence, no server, no
 * scheduler), with the same sampling chain the server builds.
 */
export class DirectModel {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
  ) {}

  static async load(modelPath: string, threads: number): Promise<DirectModel> {
    const llama = await sharedLlama(threads);
    let loaded: LlamaModel | undefined;
    try {
      const model = await llama.loadModel({ modelPath });
      loaded = model;
      const context = await model.createContext({ sequences: 1, contextSize: 2048, threads });
      return new DirectModel(model, context);
    } catch (error) {
      await loaded?.dispose();
      throw error;
    }
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  /** Decodes `tokens` tokens after `prompt`; returns tokens/s between the first and the last token. */
  async decodeRate(prompt: string, tokens: number, sampling: SamplingParams): Promise<number> {
    const sequence = this.context.getSequence();
    try {
      const input = [this.model.tokens.bos!, ...this.model.tokenize(prompt)];
      const generated: Token[] = [];
      let first = 0;
      for await (const token of sequence.evaluate(input, evaluateOptions(this.model, sampling, generated))) {
        generated.push(token);
        if (generated.length === 1) first = performance.now();
        if (generated.length >= tokens) break;
      }
      return (1000 * (generated.length - 1)) / (performance.now() - first);
    } finally {
      sequence.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
