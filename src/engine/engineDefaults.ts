// The engine's defaults the CLI states in its help, in a module of their own: the help and a bad flag's message
// need them without loading llama.cpp's bindings.

/**
 * Prompt tokens per decode step by default. On a CPU, prefill throughput stops growing at about 64 tokens per batch
 * (1B Q4_0 on 2 cores: 104 tok/s at 32, 123 at 64, 127 at 256), while every token more lengthens the pause of the
 * other streams; a GPU gains from large batches.
 */
export const DEFAULT_PREFILL_CHUNK = { cpu: 64, gpu: 512 } as const;

/** The disk tier's bound by default. */
export const DEFAULT_CACHE_DISK_BYTES = 16 * 2 ** 30;
