import { createHash } from "node:crypto";

/**
 * BigBench's `_argmax`: the index of the largest log-likelihood; on a tie, the tied index chosen by the SHA-256 of
 * the float64 little-endian bytes of all the log-likelihoods, modulo the number of tied indices.
 */
export function bigbenchArgmax(loglikelihoods: readonly number[]): number {
  const max = Math.max(...loglikelihoods);
  const tied = loglikelihoods.flatMap((ll, i) => (ll === max ? [i] : []));
  if (tied.length === 1) return tied[0]!;
  const bytes = new DataView(new ArrayBuffer(8 * loglikelihoods.length));
  loglikelihoods.forEach((ll, i) => bytes.setFloat64(8 * i, ll, true));
  const digest = createHash("sha256").update(new Uint8Array(bytes.buffer)).digest("hex");
  return tied[Number(BigInt(`0x${digest}`) % BigInt(tied.length))]!;
}
