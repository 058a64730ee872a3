import { percentile } from "../bench/percentile.js";
import { streamedCompletion } from "./streamedCompletion.js";
import { streamExchange, type StreamResult } from "./streamExchange.js";

export interface OverloadOptions {
  clients: number;
  key: string;
  model: string;
  maxTokens: number;
  /** A client's bound: the headers (a 200 or a 503) must arrive within this many ms of sending. */
  answerWithinMs: number;
  /** A client still unanswered after this long has hung. */
  timeoutMs: number;
}

export interface OverloadResult {
  clients: number;
  /** 200 streams read to `data: [DONE]`. */
  answered: number;
  /** 503 with `Retry-After`. */
  rejected: number;
  /** 503 without `Retry-After`. */
  rejectedWithoutRetryAfter: number;
  /** Headers later than `answerWithinMs`. */
  late: number;
  hung: number;
  resets: number;
  truncated: number;
  /** Any other answer, by status. */
  other: Record<string, number>;
  /** Time to headers of the answered ones, ms: their wait for a slot and first token as the client sees it. */
  queueWaitP50: number;
  queueWaitP99: number;
  /** The slowest headers of any client, ms. */
  maxHeadersMs: number;
}

/** `clients` streamed completions sent at once: each must get a whole answer or a 503 with Retry-After, in time. */
export async function overloadScenario(origin: string, options: OverloadOptions): Promise<OverloadResult> {
  const results: StreamResult[] = await Promise.all(
    Array.from({ length: options.clients }, () =>
      streamExchange({
        url: `${origin}/v1/completions`,
        headers: { Authorization: `Bearer ${options.key}` },
        body: streamedCompletion(options.model, options.maxTokens),
        timeoutMs: options.timeoutMs,
      }),
    ),
  );
  const result: OverloadResult = {
    clients: options.clients,
    answered: 0,
    rejected: 0,
    rejectedWithoutRetryAfter: 0,
    late: 0,
    hung: 0,
    resets: 0,
    truncated: 0,
    other: {},
    queueWaitP50: NaN,
    queueWaitP99: NaN,
    maxHeadersMs: 0,
  };
  const waits: number[] = [];
  for (const r of results) {
    if (r.headersMs !== undefined) {
      result.maxHeadersMs = Math.max(result.maxHeadersMs, r.headersMs);
      if (r.headersMs > options.answerWithinMs) result.late++;
    }
    if (r.outcome === "complete") {
      result.answered++;
      waits.push(r.headersMs!);
    } else if (r.outcome === "answered" && r.status === 503) {
      if (r.headers?.["retry-after"] !== undefined) result.rejected++;
      else result.rejectedWithoutRetryAfter++;
    } else if (r.outcome === "timeout") result.hung++;
    else if (r.outcome === "reset") result.resets++;
    else if (r.outcome === "truncated") result.truncated++;
    else {
      const key = r.status !== undefined ? `HTTP ${r.status}` : r.outcome;
      result.other[key] = (result.other[key] ?? 0) + 1;
    }
  }
  result.queueWaitP50 = percentile(waits, 50);
  result.queueWaitP99 = percentile(waits, 99);
  return result;
}
