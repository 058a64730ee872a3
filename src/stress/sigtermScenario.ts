import { httpExchange } from "./httpExchange.js";
import { isOpenAiError } from "./isOpenAiError.js";
import { streamedCompletion } from "./streamedCompletion.js";
import { streamExchange, type StreamResult } from "./streamExchange.js";
import type { StressServer } from "./StressServer.js";

export interface SigtermOptions {
  key: string;
  model: string;
  /** Streamed requests in flight at the signal: `parallel` of them running, the rest queued. */
  requests: number;
  parallel: number;
  /** Tokens per request: enough that the running ones are mid-stream at the signal. */
  maxTokens: number;
  /** The server's --shutdown-grace, s: the exit is awaited that long plus a margin. */
  graceSeconds: number;
}

export interface SigtermResult {
  /**
   * /health after the signal (polled until it says draining, for at most DRAINING_WITHIN_MS: the signal reaches the
   * process asynchronously): its last status and body (expected 503 {"status":"draining"}), and when it said so.
   */
  healthStatus: string;
  healthDraining: boolean;
  drainingMs: number;
  /** A new request right after the signal (expected 503 server_shutting_down with Connection: close). */
  newRequestStatus: string;
  newRequestRefused: boolean;
  /** Of the requests in flight: streams that had started and ended with [DONE], resets, truncated streams. */
  running: number;
  runningCompleted: number;
  queued: number;
  /** Queued ones answered 503 (or, streamed already, an error event + [DONE]). */
  queuedRefused: number;
  resets: number;
  truncated: number;
  /** Other outcomes, by outcome and status. */
  other: Record<string, number>;
  exitCode: number | null;
  exitSignal: string | null;
  /** ms from the signal to the process's exit (NaN: it did not exit in time and was killed). */
  exitMs: number;
}

/** How soon after the signal /health must say "draining". */
const DRAINING_WITHIN_MS = 1_000;

function refusedAsShuttingDown(answer: StreamResult): boolean {
  if (answer.outcome === "answered") return answer.status === 503;
  if (answer.outcome !== "complete") return false;
  // streamed already: an error event, then [DONE]
  const last = answer.events.at(-2);
  try {
    return last !== undefined && isOpenAiError(JSON.parse(last));
  } catch {
    return false;
  }
}

/**
 * SIGTERM while `requests` streams are in flight: the running ones must finish, the queued ones get a 503, new
 * ones a 503 `server_shutting_down` with `Connection: close`, /health says "draining", and the process exits 0.
 */
export async function sigtermScenario(server: StressServer, options: SigtermOptions): Promise<SigtermResult> {
  const headers = { Authorization: `Bearer ${options.key}` };
  const graceMs = options.graceSeconds * 1000;
  const sentAt = performance.now();
  let streaming = 0;
  const inFlight = Array.from({ length: options.requests }, () =>
    streamExchange({
      url: `${server.origin}/v1/completions`,
      headers,
      body: streamedCompletion(options.model, options.maxTokens),
      timeoutMs: graceMs + 30_000,
      onResponse: () => streaming++,
    }),
  );
  // the signal comes once `parallel` streams have their headers (running, mid-stream) and others wait in the queue
  await server.waitForHealth((h) => streaming >= options.parallel && h.queued >= 1, 10_000);
  const signalledAt = performance.now();
  server.signal("SIGTERM");
  let health = await httpExchange({ method: "GET", url: `${server.origin}/health`, headers: {}, timeoutMs: 2_000 });
  while (health.status === 200 && performance.now() - signalledAt < DRAINING_WITHIN_MS) {
    health = await httpExchange({ method: "GET", url: `${server.origin}/health`, headers: {}, timeoutMs: 2_000 });
  }
  const drainingMs = performance.now() - signalledAt;
  const fresh = await httpExchange({
    method: "POST",
    url: `${server.origin}/v1/completions`,
    headers: { ...headers, "Content-Type": "application/json" },
    body: Buffer.from(JSON.stringify({ model: options.model, prompt: "Hi", max_tokens: 4 })),
    timeoutMs: 2_000,
  });
  const exited = await server.waitForExit(graceMs + 15_000);
  const exitMs = exited ? performance.now() - signalledAt : NaN;
  if (!exited) await server.kill();
  const answers = await Promise.all(inFlight);
  const healthBody = health.body.toString("utf8");
  const freshBody = fresh.body.toString("utf8");
  const result: SigtermResult = {
    healthStatus: health.status !== undefined ? `${health.status} ${healthBody.slice(0, 100)}` : health.outcome,
    healthDraining: health.status === 503 && /"status":\s*"draining"/.test(healthBody),
    drainingMs,
    newRequestStatus: fresh.status !== undefined ? `${fresh.status} ${freshBody.slice(0, 160)}` : fresh.outcome,
    newRequestRefused: fresh.status === 503 && freshBody.includes("server_shutting_down") && fresh.headers?.connection === "close",
    running: 0,
    runningCompleted: 0,
    queued: 0,
    queuedRefused: 0,
    resets: 0,
    truncated: 0,
    other: {},
    exitCode: server.exit?.code ?? null,
    exitSignal: server.exit?.signal ?? null,
    exitMs,
  };
  for (const answer of answers) {
    // a stream whose headers came before the signal was running then (all were sent in one tick); the others were queued
    const wasRunning = answer.status === 200 && answer.headersMs !== undefined && sentAt + answer.headersMs < signalledAt;
    if (answer.outcome === "reset") result.resets++;
    else if (answer.outcome === "truncated") result.truncated++;
    if (wasRunning) {
      result.running++;
      if (answer.outcome === "complete" && !refusedAsShuttingDown(answer)) result.runningCompleted++;
    } else {
      result.queued++;
      if (refusedAsShuttingDown(answer)) result.queuedRefused++;
    }
    if (answer.outcome !== "complete" && answer.outcome !== "answered" && answer.outcome !== "reset" && answer.outcome !== "truncated") {
      result.other[answer.outcome] = (result.other[answer.outcome] ?? 0) + 1;
    }
  }
  return result;
}
