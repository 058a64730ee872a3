import fc from "fast-check";
import { bodyBuffer } from "./bodyBuffer.js";
import { fuzzRequests, type FuzzRequest } from "./fuzzRequests.js";
import { httpExchange, type Exchange } from "./httpExchange.js";
import { isOpenAiError } from "./isOpenAiError.js";
import { judgeExchange, type Violation } from "./judgeExchange.js";
import { mutatedBodyText } from "./mutatedBodyText.js";
import { reportedRequest, type ReportedRequest } from "./reportedRequest.js";
import type { ServerSupervisor } from "./ServerSupervisor.js";

export interface FuzzOptions {
  runs: number;
  seed: number;
  key: string;
  model: string;
  /** An exchange unanswered after this long is a violation, and the server is checked. */
  requestTimeoutMs: number;
  /** The fuzz stops once it has restarted the server this many times. */
  maxRestarts: number;
  onProgress?: (done: number, total: number) => void;
}

/** One kind of violation: its first request, shrunk by fast-check (or isolated to one field for a server death), and how often it occurred. */
export interface FuzzViolation extends Violation {
  /** Route kind, method, violation kind, status and error code: what repeats of one bug share. */
  signature: string;
  count: number;
  request: ReportedRequest;
  /** The smallest request found that still causes it. */
  shrunk?: ReportedRequest;
  shrinks?: number;
}

export interface FuzzResult {
  requests: number;
  /** Answers by status ("reset", "timeout" for none). */
  statuses: Record<string, number>;
  violations: FuzzViolation[];
  /** Requests sent while shrinking or isolating, beyond `requests`. */
  shrinkRequests: number;
  /** Requests not sent because they set a field already shown to kill the server ("route field"). */
  skipped: number;
  killers: string[];
  restarts: number;
  healthAfter: boolean;
  stoppedEarly?: string;
  ms: number;
}

/** A shrunk request is kept whole up to this many characters of body, so it can be sent again as it is. */
const SHRUNK_BODY_LIMIT = 1_000_000;

/** The error code of an answer in OpenAI's shape, for grouping ("-" when there is none). */
function errorCode(exchange: Exchange): string {
  let value: unknown;
  try {
    value = JSON.parse(exchange.body.toString("utf8"));
  } catch {
    return "-";
  }
  return isOpenAiError(value) ? String((value as { error: { code: unknown } }).error.code) : "-";
}

function send(origin: string, request: FuzzRequest, timeoutMs: number): Promise<Exchange> {
  const body = bodyBuffer(request.body);
  return httpExchange({ method: request.method, url: `${origin}${request.path}`, headers: request.headers, ...(body ? { body } : {}), timeoutMs });
}

/**
 * Sends `runs` generated requests one at a time and judges each answer. The first request of each violation
 * signature fails the property so fast-check shrinks it (only candidates with the same signature count as
 * failing); further ones are counted. A request after which the server is dead or stalled is not shrunk (each try
 * costs a restart): its mutations are retried one at a time to find the field, and later requests setting that
 * field on that route are skipped, so one killer costs a few restarts, not thousands.
 */
export async function fuzzScenario(supervisor: ServerSupervisor, options: FuzzOptions): Promise<FuzzResult> {
  const started = performance.now();
  const result: FuzzResult = { requests: 0, statuses: {}, violations: [], shrinkRequests: 0, skipped: 0, killers: [], restarts: 0, healthAfter: false, ms: 0 };
  const bySignature = new Map<string, FuzzViolation>();
  const killers = new Set<string>();
  const arbitrary = fuzzRequests(options.key, options.model);

  /** Sends `request`; a violation, or undefined. On a failed exchange, checks the server and restarts it if needed. */
  const exchange = async (request: FuzzRequest): Promise<{ violation?: Violation; exchange: Exchange; killed: boolean }> => {
    const answer = await send(supervisor.origin, request, options.requestTimeoutMs);
    const violation = judgeExchange(request.method, answer, request.kind);
    let killed = false;
    if (violation && (violation.kind === "reset" || violation.kind === "timeout" || violation.kind === "refused")) {
      const recovery = await supervisor.recover();
      if (recovery.restarted) {
        killed = true;
        result.restarts++;
        violation.detail += `; then ${recovery.restart.reason}${recovery.restart.exit ? ` (exit ${JSON.stringify(recovery.restart.exit)})` : ""}: server restarted. Its last output:\n${recovery.restart.outputTail}`;
      }
    }
    return { ...(violation ? { violation } : {}), exchange: answer, killed };
  };

  /** A killed server: finds the one mutation that kills it on its own, remembers it, and records the violation. */
  const recordKiller = async (request: FuzzRequest, violation: Violation): Promise<void> => {
    let cause = request.mutations?.length === 1 ? request.mutations[0] : undefined;
    let isolated: FuzzRequest | undefined;
    for (const mutation of request.mutations && request.mutations.length > 1 ? request.mutations : []) {
      const single: FuzzRequest = { ...request, body: mutatedBodyText(request.kind, options.model, [mutation]), mutations: [mutation] };
      result.shrinkRequests++;
      if ((await exchange(single)).killed) {
        cause = mutation;
        isolated = single;
        break;
      }
    }
    const signature = cause ? `${request.kind} ${cause[0]}: server killed` : `${request.kind} ${request.method}: server killed`;
    if (cause) killers.add(`${request.kind} ${cause[0]}`);
    const known = bySignature.get(signature);
    if (known) known.count++;
    else bySignature.set(signature, { ...violation, signature, count: 1, request: reportedRequest(request), ...(isolated ? { shrunk: reportedRequest(isolated, SHRUNK_BODY_LIMIT) } : {}) });
  };

  let remaining = options.runs;
  let seed = options.seed;
  while (remaining > 0 && result.stoppedEarly === undefined) {
    let shrinking: string | undefined;
    let smallest: FuzzRequest | undefined;
    let generated = 0;
    const property = fc.asyncProperty(arbitrary, async (request) => {
      if (result.stoppedEarly !== undefined) return true;
      if (shrinking === undefined) {
        generated++;
        options.onProgress?.(result.requests + 1, options.runs);
        if (request.mutations?.some(([field, raw]) => raw !== undefined && killers.has(`${request.kind} ${field}`))) {
          result.skipped++;
          return true;
        }
        result.requests++;
      } else result.shrinkRequests++;
      const { violation, exchange: answer, killed } = await exchange(request);
      if (shrinking === undefined) {
        const status = answer.status !== undefined ? String(answer.status) : answer.outcome;
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
      }
      if (result.restarts >= options.maxRestarts) result.stoppedEarly = `stopped after ${result.restarts} server restarts`;
      if (!violation) return true;
      if (killed) {
        // a killer met while shrinking another violation is recorded too (its restart is in the report either way)
        await recordKiller(request, violation);
        return true;
      }
      const signature = `${request.kind} ${request.method} ${violation.kind} ${answer.status ?? ""} ${answer.status ? errorCode(answer) : ""}`.trim();
      if (shrinking !== undefined) {
        if (signature !== shrinking) return true;
        smallest = request;
        return false;
      }
      const known = bySignature.get(signature);
      if (known) {
        known.count++;
        return true;
      }
      bySignature.set(signature, { ...violation, signature, count: 1, request: reportedRequest(request) });
      shrinking = signature;
      smallest = request;
      return false;
    });
    const details = await fc.check(property, { numRuns: remaining, seed });
    if (details.failed && shrinking !== undefined && smallest) {
      const entry = bySignature.get(shrinking)!;
      entry.shrunk = reportedRequest(smallest, SHRUNK_BODY_LIMIT);
      entry.shrinks = details.numShrinks;
    } else if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? "the fuzz property failed");
    remaining -= details.failed ? generated : remaining;
    seed++;
  }
  const health = await supervisor.server.health(5_000);
  result.healthAfter = health?.status === "ok";
  result.violations = [...bySignature.values()];
  result.killers = [...killers];
  result.ms = performance.now() - started;
  return result;
}
