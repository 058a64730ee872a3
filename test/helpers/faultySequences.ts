import type { LlamaContextSequence } from "node-llama-cpp";

/**
 * A fault-injection seam over a scheduler's sequences: `failNext(slot, kind)` makes the next decode (`next()` of a
 * generation) or prompt chunk (`evaluateWithoutGeneratingNewTokens`) on that slot's sequence throw, as a llama.cpp
 * failure would. Everything else goes to the real sequence.
 */
export class FaultySequences {
  private readonly armed = new Map<number, "decode" | "prefill">();
  injected = 0;

  wrap = (sequences: LlamaContextSequence[]): LlamaContextSequence[] => sequences.map((sequence, slot) => this.proxy(sequence, slot));

  failNext(slot: number, kind: "decode" | "prefill"): void {
    this.armed.set(slot, kind);
  }

  reset(): void {
    this.armed.clear();
  }

  private fault(slot: number, kind: "decode" | "prefill"): void {
    if (this.armed.get(slot) !== kind) return;
    this.armed.delete(slot);
    this.injected++;
    throw new Error(`injected ${kind} fault on slot ${slot}`);
  }

  private proxy(sequence: LlamaContextSequence, slot: number): LlamaContextSequence {
    return new Proxy(sequence, {
      get: (target, property, receiver) => {
        if (property === "evaluateWithoutGeneratingNewTokens") {
          return async (...args: Parameters<LlamaContextSequence["evaluateWithoutGeneratingNewTokens"]>) => {
            this.fault(slot, "prefill");
            return target.evaluateWithoutGeneratingNewTokens(...args);
          };
        }
        if (property === "evaluateWithMetadata") {
          return (...args: Parameters<LlamaContextSequence["evaluateWithMetadata"]>) => {
            const tokens = target.evaluateWithMetadata(...args)[Symbol.asyncIterator]();
            const wrapped = {
              next: async () => {
                this.fault(slot, "decode");
                return tokens.next();
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
