/** What a thread count is measured on: one stream decoding, every slot decoding, a prompt chunk. */
export type ThreadWork = "decode" | "slots" | "prefill";

/** One thread count's medians, in tokens per second (a work it was not measured on is absent). */
export interface ThreadRates {
  threads: number;
  decodeTokS?: number;
  /** All the slots' tokens per second while every slot decodes. */
  slotsDecodeTokS?: number;
  prefillTokS?: number;
}

/**
 * A count whose median rate is below this fraction of the best count's on every work it was measured on is
 * clearly slower: the machine's speed drifts by ±20% from second to second here, so a nearer gap is not read.
 */
const CLEARLY_SLOWER = 0.7;

/**
 * More threads are chosen only when they are at least this much faster than fewer. The measurement runs alone, but a
 * server's event loop (HTTP parsing, the socket writes of every token) needs the cores too: a count that takes
 * every core and wins by a few % alone loses over HTTP (the tiny model with 2 threads on 2 cores measured +8% for
 * several streams alone, then ran 2 streams at 150 tok/s over HTTP against 1 300 with 1 thread).
 */
const MORE_THREADS_GAIN = 1.15;

const FIELDS: Record<ThreadWork, "decodeTokS" | "slotsDecodeTokS" | "prefillTokS"> = { decode: "decodeTokS", slots: "slotsDecodeTokS", prefill: "prefillTokS" };

/**
 * The samples of the thread-count measurement (pure): each is a rate and its duration for one thread count on one
 * work. Medians decide, so one sample that the machine slowed down does not.
 */
export class ThreadSamples {
  private readonly samples = new Map<string, Array<{ rate: number; wallMs: number }>>();

  /** `tokens` evaluated in `ms` (the timed part); the sample took `wallMs` in all (its untimed set-up included). */
  add(threads: number, work: ThreadWork, tokens: number, ms: number, wallMs = ms): void {
    const key = `${threads}/${work}`;
    const list = this.samples.get(key) ?? [];
    list.push({ rate: (1000 * tokens) / ms, wallMs });
    this.samples.set(key, list);
  }

  /** The median rate (tokens/s) of `threads` on `work`, undefined when not measured. */
  rate(threads: number, work: ThreadWork): number | undefined {
    const list = this.samples.get(`${threads}/${work}`);
    return list ? median(list.map((s) => s.rate)) : undefined;
  }

  /** The count with the highest median rate on `work` (of two equal, the fewer threads), undefined when none was measured. */
  best(work: ThreadWork): number | undefined {
    let best: { threads: number; rate: number } | undefined;
    for (const threads of this.counts()) {
      const rate = this.rate(threads, work);
      if (rate !== undefined && (best === undefined || rate > best.rate)) best = { threads, rate };
    }
    return best?.threads;
  }

  /**
   * The count to use for `work`: the fewest threads within MORE_THREADS_GAIN of the best median rate, undefined
   * when none was measured.
   */
  choice(work: ThreadWork): number | undefined {
    const best = this.best(work);
    if (best === undefined) return undefined;
    const enough = this.rate(best, work)! / MORE_THREADS_GAIN;
    return [...this.counts()].sort((a, b) => a - b).find((threads) => (this.rate(threads, work) ?? -1) >= enough);
  }

  /** Whether `threads` is far behind the best count on every work it was measured on (and so not worth more samples). */
  clearlySlower(threads: number): boolean {
    const works = (Object.keys(FIELDS) as ThreadWork[]).filter((work) => this.rate(threads, work) !== undefined);
    return works.length > 0 && works.every((work) => this.rate(threads, work)! < CLEARLY_SLOWER * this.rate(this.best(work)!, work)!);
  }

  /**
   * How long a sample of `threads` on `work` should take in all, ms: its median so far, else that of the nearest
   * larger count measured, scaled as if the work divided perfectly over the threads (an upper bound when it does
   * not); undefined when neither is known.
   */
  expectedMs(threads: number, work: ThreadWork): number | undefined {
    const own = this.samples.get(`${threads}/${work}`);
    if (own) return median(own.map((s) => s.wallMs));
    const larger = this.counts().find((count) => count > threads && this.samples.has(`${count}/${work}`));
    return larger === undefined ? undefined : (this.expectedMs(larger, work)! * larger) / threads;
  }

  /** Each measured count's medians, fewest threads first. */
  rates(): ThreadRates[] {
    return this.counts().map((threads) => {
      const row: ThreadRates = { threads };
      for (const [work, field] of Object.entries(FIELDS) as Array<[ThreadWork, (typeof FIELDS)[ThreadWork]]>) {
        const rate = this.rate(threads, work);
        if (rate !== undefined) row[field] = rate;
      }
      return row;
    });
  }

  private counts(): number[] {
    return [...new Set([...this.samples.keys()].map((key) => Number(key.split("/")[0])))].sort((a, b) => a - b);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[Math.floor(middle)]!;
}
