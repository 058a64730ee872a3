import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

/**
 * llama.cpp as every part of the project loads it: the prebuilt binary for the best backend present (never a
 * build), errors only in the log, and its thread splitter capped at `threads` (node-llama-cpp's default floor of 4
 * threads makes decoding on 2 cores many times slower).
 */
export function loadLlama(threads: number): Promise<Llama> {
  return getLlama({ gpu: "auto", build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads, progressLogs: false });
}
