import type { LlamaContext } from "node-llama-cpp";

/** node-llama-cpp 3.22.1 internals: the native context behind a LlamaContext and the calls of one batch. */
interface NativeContext {
  initBatch(tokens: number): void;
  decodeBatch(): Promise<void>;
  setThreads(threads: number): void;
}

/**
 * Sets the thread count of each llama.cpp batch of a context from the batch's size. node-llama-cpp gives a context
 * one count for every batch (its native `setThreads` calls `llama_set_n_threads(ctx, n, n)`, and its batch
 * dispatcher sets the count its thread splitter allots right before each `decodeBatch`), while the best count
 * differs between a one-token step and a prompt chunk. So the native context's `initBatch` is wrapped to note the
 * batch's token count and its `decodeBatch` to set the chosen count just before the decode (after the splitter's).
 * These are internals of the pinned node-llama-cpp 3.22.1; test/threads.test.ts fails if they stop working.
 */
export class BatchThreads {
  private tokens = 0;

  private constructor(private choose: (tokens: number) => number) {}

  /** Wraps `context`'s native batch calls; every batch from then on runs on `choose(its token count)` threads. */
  static attach(context: LlamaContext, choose: (tokens: number) => number): BatchThreads {
    const native = (context as unknown as { _ctx?: Partial<NativeContext> })._ctx;
    const { initBatch, decodeBatch, setThreads } = native ?? {};
    if (!native || typeof initBatch !== "function" || typeof decodeBatch !== "function" || typeof setThreads !== "function") {
      throw new Error("node-llama-cpp's context internals changed: per-batch thread counts need version 3.22.1");
    }
    const threads = new BatchThreads(choose);
    // the addon's methods are read-only properties of its prototype: defined on the instance instead
    Object.defineProperty(native, "initBatch", {
      value: (tokens: number): void => {
        threads.tokens = tokens;
        initBatch.call(native, tokens);
      },
    });
    Object.defineProperty(native, "decodeBatch", {
      value: (): Promise<void> => {
        setThreads.call(native, threads.choose(threads.tokens));
        return decodeBatch.call(native);
      },
    });
    return threads;
  }

  /** From the next batch on, `choose` decides. */
  use(choose: (tokens: number) => number): void {
    this.choose = choose;
  }
}
