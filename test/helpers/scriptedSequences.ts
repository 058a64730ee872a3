import type { LlamaContextSequence, Token } from "node-llama-cpp";

/**
 * A seam over a scheduler's sequences that scripts what the next generation samples: `next(tokens)` makes the next
 * generation to start (on any slot) report exactly these tokens, one per step, in place of what the model sampled
 * (the model still evaluates; the tokens are what the engine reads). The script should end with end of sequence.
 * For the mechanics of an output the random test model would never write, such as a tool call.
 */
export class ScriptedSequences {
  private script: Token[] | undefined;

  wrap = (sequences: LlamaContextSequence[]): LlamaContextSequence[] => sequences.map((sequence) => this.proxy(sequence));

  next(tokens: readonly number[]): void {
    this.script = tokens as Token[];
  }

  private proxy(sequence: LlamaContextSequence): LlamaContextSequence {
    return new Proxy(sequence, {
      get: (target, property, receiver) => {
        if (property === "evaluateWithMetadata") {
          return (...args: Parameters<LlamaContextSequence["evaluateWithMetadata"]>) => {
            const tokens = target.evaluateWithMetadata(...args)[Symbol.asyncIterator]();
            const script = this.script;
            this.script = undefined;
            if (!script) return tokens;
            let step = 0;
            const wrapped = {
              next: async () => {
                const result = await tokens.next();
                if (result.done || step >= script.length) return result;
                return { done: false as const, value: { ...result.value, token: script[step++]! } };
              },
              return: async () => (await tokens.return?.()) ?? { done: true as const, value: undefined },
              [Symbol.asyncIterator]: () => wrapped,
            };
            return wrapped;
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
