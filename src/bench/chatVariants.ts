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
 * ───── THE CHAT WORKLOAD'S HERMES VARIANTS ─────
 * The issue asks for four: the prompt cache off, in RAM, on disk, and on disk after a restart. The tiered prompt
 * cache's flags (`--cache-ram MiB`, `--cache-dir DIR`) are not in this branch yet, so only "cache off" runs, as the
 * server without them (it keeps a conversation only in its slots). When they are, this list becomes:
 *
 *   { name: CHAT_CACHE_OFF, args: () => ["--cache-ram", "0"] },
 *   { name: CHAT_RAM_CACHE, args: () => [] },                      // the default budget, from free memory
 *   { name: CHAT_DISK_CACHE, args: (dir) => ["--cache-ram", "0", "--cache-dir", dir], restart: true },
 *
 * and the targets of chatTargets.ts apply (they look for these names).
 */
export const chatVariants: readonly ChatVariant[] = [{ name: CHAT_CACHE_OFF, args: () => [] }];
