/**
 * The thread counts `--threads auto` measures on a machine with `cores` usable cores: the powers of two below it
 * and `cores` itself (1, 2, 4, 6 on six cores). Doubling steps keep the measurement short on large machines;
 * every core, llama.cpp's own default, is always one of them.
 */
export function threadCandidates(cores: number): number[] {
  const counts: number[] = [];
  for (let threads = 1; threads < cores; threads *= 2) counts.push(threads);
  counts.push(Math.max(1, cores));
  return counts;
}
