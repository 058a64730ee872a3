import type { KvTypeResult } from "./kvTypes.js";
import { autoToBestFixed, q8ToF16 } from "./judgeThreadsAndKv.js";
import type { ThreadChoiceResult } from "./threadChoice.js";

/**
 * The table rows of the thread choice and the KV types (one cell per model, "–" where a model has no such figure),
 * through the table's own `row` and `spread` (median, min–max).
 */
export function threadsAndKvRows<M extends { threadChoice?: ThreadChoiceResult; kvTypes?: readonly KvTypeResult[] }>(
  models: readonly M[],
  row: (name: string, cell: (model: M) => string) => string,
  spread: (values: readonly number[]) => string,
): string[] {
  const counts = [...new Set(models.flatMap((m) => m.threadChoice?.servers.map((s) => s.threads) ?? []))];
  const server = (model: M, threads: number | "auto") => model.threadChoice?.servers.find((s) => s.threads === threads);
  const types = [...new Set(models.flatMap((m) => m.kvTypes?.map((k) => k.type) ?? []))];
  const kv = (model: M, type: string): string => {
    const result = model.kvTypes?.find((k) => k.type === type);
    if (!result) return "–";
    return "skipped" in result ? `skipped: ${result.skipped}` : `${(result.bytesPerSlot / 2 ** 20).toFixed(1)} MiB, ${spread(result.decode)}`;
  };
  return [
    row("threads auto picked at start: 1 stream / prompts (time it measured)", (m) => {
      const auto = m.threadChoice?.auto;
      return auto ? `${auto.decode} / ${auto.batch} (${((auto.probeMs ?? 0) / 1000).toFixed(1)} s)` : "–";
    }),
    ...counts.map((threads) => row(`decode tok/s, 1 stream over HTTP, --threads ${threads}`, (m) => (server(m, threads) ? spread(server(m, threads)!.decode) : "–"))),
    ...counts.map((threads) => row(`prefill tok/s, fresh prompt, --threads ${threads}`, (m) => (server(m, threads) ? spread(server(m, threads)!.prefill) : "–"))),
    row("auto / best fixed count, 1-stream decode (median of the rounds' ratios)", (m) => {
      if (!m.threadChoice) return "–";
      const { ratio, best } = autoToBestFixed(m.threadChoice);
      return `${ratio.toFixed(2)}× (best: ${best})`;
    }),
    ...types.map((type) => row(`KV cache K+V ${type}, flash attention on: MiB per slot (1024 tokens), decode tok/s 1 stream`, (m) => kv(m, type))),
    row("q8_0 / f16 KV: memory per slot, decode", (m) => {
      const q8 = m.kvTypes && q8ToF16(m.kvTypes);
      return q8 ? `${q8.memory.toFixed(2)}×, ${q8.decode.toFixed(2)}×` : "–";
    }),
  ];
}
