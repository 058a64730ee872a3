import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { neutralSampling } from "./neutralSampling.js";
import type { BatchThreads } from "./BatchThreads.js";
import { evaluateOptions } from "./evaluateOptions.js";
import { ThreadSamples, type ThreadWork } from "./ThreadSamples.js";

export interface ThreadProbe {
  /** The thread counts to measure on each work (none: that work is not measured). */
  counts: Record<ThreadWork, readonly number[]>;
  /** Sequences decoding together in the `slots` work. */
  streams: number;
  /** Prompt tokens per step in serving: the prompt chunk measured is at most this. */
  prefillChunk: number;
  /** The measurement's time after its warm-up step, ms: no sample is started that is expected to end past it. */
  budgetMs: number;
}

export interface ThreadMeasurement {
  samples: ThreadSamples;
  /** Tokens of the prompt chunk each prefill sample evaluated. */
  chunkTokens: number;
  ms: number;
}

/** A decode sample runs steps until it has lasted this long (a few dozen tokens of a small model, one of a large one). */
const DECODE_SAMPLE_MS = 40;
const MAX_DECODE_STEPS = 32;
/**
 * A prefill sample should last about this long at the fastest decode count: a chunk smaller than serving's on a
 * large model (a 64-token chunk of a 13B model on two cores takes seconds), never under MIN_CHUNK tokens (a batch
 * that small is no prompt chunk). Every count is measured on the same chunk, so that their rates compare.
 */
const PREFILL_SAMPLE_MS = 400;
const MIN_CHUNK = 8;
/** Rounds over every count; a count's rate is its median over them. */
const MAX_ROUNDS = 7;

/** The API's default sampling (temperature 1, no cuts): a decode step is measured with the sampling it has in serving. */
const SAMPLING = neutralSampling();

const TEXT = "The river carried a small boat past the old mill while the children watched from the stone bridge. ";

/**
 * Measures decode and prefill rates at the thread counts of `probe` on `context`'s own sequences, before anything
 * else uses them (they are released, empty, at the end). The first round measures one stream's decode from the
 * most threads down, and stops going down at a count clearly slower than a larger one (fewer threads only get
 * slower once the work is compute-bound: a large model on few cores spends no time there); the prompt chunk is
 * sized from the fastest decode, then the other works follow. Later rounds take the counts in rotating order, so
 * that the machine's drift touches each alike. A count clearly slower than the best on every work is measured no
 * further (but on a work measured at that count only), and no sample is started that would end past the time budget.
 */
export async function measureThreads(context: LlamaContext, model: LlamaModel, threads: BatchThreads, probe: ThreadProbe): Promise<ThreadMeasurement> {
  const started = performance.now();
  let deadline = Infinity;
  const works = (Object.keys(probe.counts) as ThreadWork[]).filter((work) => probe.counts[work].length > 0);
  const all = [...new Set(works.flatMap((work) => probe.counts[work]))].sort((a, b) => b - a);
  const sequences = Array.from({ length: probe.counts.slots.length > 0 ? probe.streams : 1 }, () => context.getSequence());
  const samples = new ThreadSamples();
  const dropped = new Set<number>();
  const room = context.contextSize - 8;
  let text = model.tokenize(TEXT);
  while (text.length < Math.max(probe.prefillChunk, probe.streams + 4)) text = [...text, ...text];
  let chunk = Math.max(1, Math.min(probe.prefillChunk, room));
  /**
   * Takes a sample of `work` at `count` unless it would end past the deadline (false then). Its length, unless known
   * from another sample: a prompt chunk costs at most a one-token step per token, and the slots' sample has their
   * prompts (5 tokens each), their first tokens and a step to take.
   */
  const sample = async (count: number, work: ThreadWork): Promise<boolean> => {
    const stepMs = 1000 / (samples.rate(count, "decode") ?? Infinity);
    const bound = work === "prefill" ? chunk * stepMs : work === "slots" ? 7 * probe.streams * stepMs : 0;
    if (performance.now() + (samples.expectedMs(count, work) ?? bound) > deadline) return false;
    threads.use(() => count);
    const wall = performance.now();
    const { tokens, ms } =
      work === "prefill"
        ? await prefillSample(sequences[0]!, text.slice(0, chunk) as Token[])
        : await decodeSample(model, work === "slots" ? sequences : sequences.slice(0, 1), text, room);
    samples.add(count, work, tokens, ms, performance.now() - wall);
    for (const other of all) if (samples.clearlySlower(other)) dropped.add(other);
    return true;
  };
  // a dropped count is out of the choices; a work measured at one count only (a fixed one) keeps measuring it
  const wanted = (count: number, work: ThreadWork): boolean => probe.counts[work].includes(count) && (!dropped.has(count) || probe.counts[work].length === 1);
  try {
    // the first decode on a context allocates llama.cpp's buffers: it is left out
    threads.use(() => all[0]!);
    await decodeSample(model, sequences.slice(0, 1), text, 1);
    deadline = performance.now() + probe.budgetMs;
    for (const count of all) {
      if (!wanted(count, "decode") || !(await sample(count, "decode"))) continue;
      if (dropped.has(count)) for (const fewer of all.filter((other) => other < count)) dropped.add(fewer);
    }
    const fastest = samples.best("decode");
    if (fastest !== undefined) chunk = Math.max(1, Math.min(chunk, Math.max(MIN_CHUNK, Math.floor((PREFILL_SAMPLE_MS * samples.rate(fastest, "decode")!) / 1000))));
    for (const count of all) for (const work of ["slots", "prefill"] as const) if (wanted(count, work)) await sample(count, work);
    for (let round = 1; round < MAX_ROUNDS; round++) {
      if (works.every((work) => all.filter((count) => wanted(count, work)).length <= 1)) break;
      const order = [...all.slice(round % all.length), ...all.slice(0, round % all.length)];
      let taken = 0;
      for (const count of order) for (const work of works) if (wanted(count, work) && (await sample(count, work))) taken++;
      if (taken === 0) break;
    }
    return { samples, chunkTokens: chunk, ms: performance.now() - started };
  } finally {
    for (const sequence of sequences) await sequence.dispose();
  }
}

/**
 * Decode steps of every sequence together (one batch each) until DECODE_SAMPLE_MS have passed (at most
 * MAX_DECODE_STEPS, and `room` tokens), after a short prompt each; the prompts and their first tokens are not timed.
 */
async function decodeSample(model: LlamaModel, sequences: readonly LlamaContextSequence[], text: readonly Token[], room: number): Promise<{ tokens: number; ms: number }> {
  const generators = await Promise.all(
    sequences.map(async (sequence, i) => {
      await sequence.clearHistory();
      const prompt = [...(model.tokens.bos === null ? [] : [model.tokens.bos]), ...text.slice(i, i + 4)];
      return sequence.evaluate(prompt, evaluateOptions(model, SAMPLING, []))[Symbol.asyncIterator]();
    }),
  );
  try {
    // started in the same tick, node-llama-cpp decodes them in one batch
    await Promise.all(generators.map((generator) => generator.next()));
    const started = performance.now();
    let steps = 0;
    do {
      await Promise.all(generators.map((generator) => generator.next()));
      steps++;
    } while (steps < Math.min(MAX_DECODE_STEPS, room) && performance.now() - started < DECODE_SAMPLE_MS);
    return { tokens: steps * sequences.length, ms: performance.now() - started };
  } finally {
    await Promise.all(generators.map((generator) => generator.return(undefined)));
  }
}

/** One prompt chunk evaluated on an empty sequence (no output, as serving's chunks before a prompt's last). */
async function prefillSample(sequence: LlamaContextSequence, chunk: Token[]): Promise<{ tokens: number; ms: number }> {
  await sequence.clearHistory();
  const started = performance.now();
  await sequence.evaluateWithoutGeneratingNewTokens(chunk);
  return { tokens: chunk.length, ms: performance.now() - started };
}
