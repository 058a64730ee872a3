/** What a graceful shutdown acts on, in the order it uses them. */
export interface ShutdownSteps {
  /** From now on /health says "draining" and new requests get 503 `server_shutting_down` with `Connection: close`. */
  stopAdmitting(): void;
  /** Refuses what is queued and resolves once no request runs. */
  drain(): Promise<void>;
  /** Ends whatever still runs (a 503, or an error event and `[DONE]` in a started stream). */
  abortRunning(): Promise<void>;
  /** Stops listening and closes the connections once their responses are written. */
  closeConnections(): Promise<void>;
}

/**
 * Drains the server: stops admitting, lets the running requests finish for up to `graceMs`, ends the rest, then
 * closes the connections. Resolves to whether every running request finished within the grace period.
 */
export async function gracefulShutdown(steps: ShutdownSteps, graceMs: number): Promise<boolean> {
  steps.stopAdmitting();
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
  // a drain that fails is treated as one that did not finish: what still runs is ended below
  const drained = await Promise.race([steps.drain().then(() => true, () => false), graceOver]);
  clearTimeout(timer);
  await steps.abortRunning();
  await steps.closeConnections();
  return drained;
}
