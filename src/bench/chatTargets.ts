import { afterRestart, CHAT_CACHE_OFF, CHAT_DISK_CACHE, CHAT_RAM_CACHE } from "./chatVariants.js";
import type { ChatRun } from "./ChatWorkload.js";
import { chatSummary } from "./chatSummary.js";
import { fixed } from "./figureText.js";

/**
 * The issue's chat-workload targets on the 1B shape: returning turns' TTFT p50 with the RAM cache ≤ 0.3× the cache
 * off, and with the disk cache after a restart ≤ 0.5×. Judged on the variants that ran (none but "cache off" until
 * the prompt cache's flags exist).
 */
export function chatTargets(chat: readonly ChatRun[]): Array<{ target: string; value: string; met: boolean }> {
  const returningP50 = (variant: string): number | undefined => {
    const run = chat.find((r) => r.variant === variant);
    return run && chatSummary(run).returning.p50;
  };
  const off = returningP50(CHAT_CACHE_OFF);
  if (off === undefined) return [];
  const judged = [
    { variant: CHAT_RAM_CACHE, bound: 0.3, target: "chat workload: returning turns' TTFT p50 with the RAM cache ≤ 0.3× without it (1b)" },
    { variant: afterRestart(CHAT_DISK_CACHE), bound: 0.5, target: "chat workload: returning turns' TTFT p50 from the disk cache after a restart ≤ 0.5× without a cache (1b)" },
  ];
  return judged.flatMap(({ variant, bound, target }) => {
    const value = returningP50(variant);
    if (value === undefined) return [];
    const ratio = value / off;
    return [{ target, value: `${fixed(ratio, 2)}×`, met: ratio <= bound }];
  });
}
