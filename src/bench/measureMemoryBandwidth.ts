import { Worker } from "node:worker_threads";

/** Scans its own buffer (memchr over bytes that never match) once told to go, and reports how long it took. */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const buffer = Buffer.alloc(workerData.bytes, 1);
buffer.indexOf(0); // touch every page before timing
parentPort.postMessage("ready");
parentPort.once("message", () => {
  const started = performance.now();
  for (let i = 0; i < workerData.passes; i++) if (buffer.indexOf(0) !== -1) throw new Error("unexpected match");
  parentPort.postMessage(performance.now() - started);
});
`;

/**
 * Memory read bandwidth in bytes/s: `threads` workers scan buffers far larger than the caches at the same time
 * (the way a decode streams the weights with that many threads). Best of `rounds`.
 */
export async function measureMemoryBandwidth(threads: number, bytesPerThread = 512 * 1024 * 1024, passes = 4, rounds = 3): Promise<number> {
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    const workers = Array.from({ length: threads }, () => new Worker(WORKER, { eval: true, workerData: { bytes: bytesPerThread, passes } }));
    try {
      const message = (worker: Worker): Promise<unknown> =>
        new Promise((resolve, reject) => {
          worker.once("message", resolve);
          worker.once("error", reject);
        });
      await Promise.all(workers.map(message));
      const done = workers.map(message);
      for (const worker of workers) worker.postMessage("go");
      const ms = Math.max(...((await Promise.all(done)) as number[]));
      best = Math.max(best, (threads * bytesPerThread * passes) / (ms / 1000));
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  }
  return best;
}
