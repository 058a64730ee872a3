import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

/** A use of the process's llama.cpp instance; `release()` once the models loaded through it are disposed. */
export interface LlamaHandle {
  llama: Llama;
  release(): Promise<void>;
}

/** The instances in use, by thread cap, with their users' count. */
const shared = new Map<number, { llama: Promise<Llama>; users: number }>();

/**
 * llama.cpp as every part of the project loads it: the prebuilt binary for the best backend present (never a
 * build), errors only in the log, and its thread splitter capped at `threads` (node-llama-cpp's default floor of 4
 * threads makes decoding on 2 cores many times slower). One instance per cap is shared by every model of the
 * process and freed with its last user: making one takes 0.4–0.7 s (measured on 2 cores), more than loading a
 * small model, and a server of several models loads and unloads them all day.
 */
export async function acquireLlama(threads: number): Promise<LlamaHandle> {
  let entry = shared.get(threads);
  if (!entry) {
    entry = { llama: getLlama({ gpu: "auto", build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads, progressLogs: false }), users: 0 };
    shared.set(threads, entry);
    // a failed start is not kept: the next acquire tries again
    entry.llama.catch(() => shared.delete(threads));
  }
  entry.users += 1;
  const current = entry;
  const llama = await current.llama;
  let released = false;
  return {
    llama,
    release: async () => {
      if (released) return;
      released = true;
      current.users -= 1;
      if (current.users > 0) return;
      if (shared.get(threads) === current) shared.delete(threads);
      await llama.dispose();
    },
  };
}
