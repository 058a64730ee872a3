/** One way of running hermes under the chat workload: the server arguments that make it. */
export interface ChatVariant {
  name: string;
  /** Arguments added to `hermes serve`; `cacheDir` is a fresh directory for this variant, removed after it. */
  args(cacheDir: string): string[];
  /** Stop the server after the workload, start it again on the same arguments and replay the returning turns. */
  restart?: boolean;
}

export const CHAT_CACHE_OFF = "cache off";
export const CHAT_RAM_CACHE = "RAM cache";
export const CHAT_DISK_CACHE = "disk cache";
/** The run a `restart` variant adds: its returning turns replayed by the restarted server. */
export const afterRestart = (variant: string): string => `${variant}, after a restart`;

/**
 * The chat workload's hermes variants: the prompt cache off (slots only), in RAM (the default budget), and on disk
 * only (every state written to the folder and restored from it), whose server is restarted on the same folder and
 * replays the returning turns. chatTargets.ts looks for these names.
 */
export const chatVariants: readonly ChatVariant[] = [
  { name: CHAT_CACHE_OFF, args: () => ["--cache-ram", "0"] },
  { name: CHAT_RAM_CACHE, args: () => [] },
  { name: CHAT_DISK_CACHE, args: (dir) => ["--cache-ram", "0", "--cache-dir", dir], restart: true },
];
