/**
 * Resolves once `condition()` holds, checked every event-loop turn; throws after `timeoutMs`, so that a condition
 * that never comes fails the test at once instead of spinning until the runner's timeout.
 */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
