import { performance } from "node:perf_hooks";
import { jsonCloser } from "../grammar/closeJson.js";
import { percentile } from "./percentile.js";

/** Characters per sampled token of a JSON output (Llama-2's tokenizer writes JSON at about 3–4 per token). */
const CHARS_PER_TOKEN = 4;
/** The tokens at the end of the output whose closing is timed: the cost where the output is longest. */
const TIMED_TOKENS = 400;

/**
 * What closing a `json_object` output costs per sampled token once it is `tokens` tokens long, in µs (median over
 * `runs`): a JSON text as the grammar writes it is fed piece by piece to one closer, as the engine does after every
 * sampled token (`jsonCloser`: it carries its reading from text to text), and the calls for the last `TIMED_TOKENS` pieces are timed. Pure CPU, in-process.
 */
export function closingCost(tokens: number, runs: number): number {
  const text = jsonText(tokens * CHARS_PER_TOKEN);
  const perToken: number[] = [];
  for (let run = 0; run < runs; run++) {
    const close = jsonCloser();
    let started = 0;
    for (let token = 1; token <= tokens; token++) {
      if (token === tokens - TIMED_TOKENS + 1) started = performance.now();
      close(text.slice(0, token * CHARS_PER_TOKEN));
    }
    perToken.push(((performance.now() - started) * 1000) / TIMED_TOKENS);
  }
  return percentile(perToken, 50);
}

/** The first `length` characters of an object of records, nested and of every JSON type, spaced as the grammar writes it. */
function jsonText(length: number): string {
  const records: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const record = `{"id": ${i}, "name": "item \\"${i}\\"", "price": ${(i * 1.25).toFixed(2)}, "tags": ["a${i % 7}", "b"], "stock": {"count": ${i % 13}, "open": ${i % 2 === 0}, "note": null}}`;
    records.push(record);
    size += record.length + 2;
  }
  return `{"items": [${records.join(", ")}]}`.slice(0, length);
}
