import type { KvTypeResult } from "./kvTypes.js";
import { percentile } from "./percentile.js";
import type { ThreadChoiceResult } from "./threadChoice.js";

type Target = { target: string; value: string; met: boolean };
const median = (values: readonly number[]): number => percentile(values, 50);

/**
 * `--threads auto`'s single-stream decode over the best fixed count's (the highest median), and that count: the
 * median of the ratios of each round, in which both were measured close together, as this machine's speed drifts
 * by more than the 5% judged from one minute to the next.
 */
export function autoToBestFixed(result: ThreadChoiceResult): { ratio: number; best: number } {
  const auto = result.servers.find((server) => server.threads === "auto")!;
  const fixed = result.servers.filter((server) => server.threads !== "auto");
  const best = fixed.reduce((a, b) => (median(b.decode) > median(a.decode) ? b : a));
  return { ratio: median(auto.decode.map((rate, round) => rate / best.decode[round]!)), best: best.threads as number };
}

/** q8_0's KV bytes per slot and single-stream decode (median) over f16's; undefined unless both were measured. */
export function q8ToF16(results: readonly KvTypeResult[]): { memory: number; decode: number } | undefined {
  const measured = (type: string) => results.find((result) => result.type === type && "decode" in result) as (KvTypeResult & { decode: number[]; bytesPerSlot: number }) | undefined;
  const [f16, q8] = [measured("f16"), measured("q8_0")];
  if (!f16 || !q8) return undefined;
  return { memory: q8.bytesPerSlot / f16.bytesPerSlot, decode: median(q8.decode) / median(f16.decode) };
}

/**
 * The issue's targets for the thread choice and the KV types, on each model where they could be measured:
 * `auto` decodes one stream at ≥ 0.95× the best fixed count; q8_0 KV takes ≤ 0.55× f16's memory per slot and
 * decodes within 5% of it.
 */
export function judgeThreadsAndKv(models: ReadonlyArray<{ label: string; threadChoice?: ThreadChoiceResult; kvTypes?: readonly KvTypeResult[] }>): Target[] {
  const targets: Target[] = [];
  for (const model of models) {
    if (model.threadChoice) {
      const { ratio, best } = autoToBestFixed(model.threadChoice);
      targets.push({
        target: `auto threads: single-stream decode ≥ 0.95× the best fixed thread count (${model.label})`,
        value: `${ratio.toFixed(2)}× (auto ${model.threadChoice.auto.decode}, best fixed ${best})`,
        met: ratio >= 0.95,
      });
    }
    const q8 = model.kvTypes && q8ToF16(model.kvTypes);
    if (q8) {
      targets.push({
        target: `q8_0 KV: memory per slot ≤ 0.55× f16 with decode within 5% of f16 (${model.label})`,
        value: `${q8.memory.toFixed(2)}× memory, ${q8.decode.toFixed(2)}× decode`,
        met: q8.memory <= 0.55 && q8.decode >= 0.95,
      });
    }
  }
  return targets;
}
