import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

/** The process's instances, by thread cap. */
const instances = new Map<number, Promise<Llama>>();

/**
 * llama.cpp as every part of the project loads it: the prebuilt binary for the best backend present (never a
 * build), errors only in the log, and its thread splitter capped at `threads` (node-llama-cpp's default floor of 4
 * threads makes decoding on 2 cores many times slower). One instance per cap serves every model of the process, for
 * the process's life, never disposed: making one took 0.4–0.7 s of each 0.6–1.0 s load of a small model (2 cores),
 * and one made and disposed per load kept ~90 KB of heap and ~0.15 MiB of RSS each time (measured over 40 loads,
 * after forced collections), which a server that loads and unloads models all day would pile up. It holds no handle
 * that keeps the process alive.
 */
export function sharedLlama(threads: number): Promise<Llama> {
  let instance = instances.get(threads);
  if (!instance) {
    instance = getLlama({ gpu: "auto", build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads, progressLogs: false });
    instances.set(threads, instance);
    // a failed start is not kept: the next call tries again
    instance.catch(() => instances.delete(threads));
  }
  return instance;
}
