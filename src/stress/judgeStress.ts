import type { StressCheck, StressReport } from "./StressReport.js";

const ms = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)} ms` : "n/a");
const mib = (kib: number | undefined): string => (kib === undefined ? "n/a" : `${(kib / 1024).toFixed(0)} MiB`);

/** The Reliability table's rows: each scenario's figures against what the server promises. */
export function judgeStress(report: StressReport): StressCheck[] {
  const checks: StressCheck[] = [];
  const add = (scenario: string, figure: string, expected: string, measured: string | number, met?: boolean): void => {
    checks.push({ scenario, figure, expected, measured: String(measured), ...(met !== undefined ? { met } : {}) });
  };
  const { fuzz, overload, cuts, slowClients: slow, sigterm } = report;
  if (fuzz) {
    // a request that killed the server is counted once, as a death, not also as its reset or timeout
    const count = (...kinds: string[]): number =>
      fuzz.violations.filter((v) => !v.signature.endsWith("server killed") && kinds.includes(v.kind)).reduce((sum, v) => sum + v.count, 0);
    add("fuzz", "requests sent (skipped as known killers)", "", `${fuzz.requests} (${fuzz.skipped})${fuzz.stoppedEarly ? `, ${fuzz.stoppedEarly}` : ""}`);
    add("fuzz", "5xx answers", "0", count("5xx"), count("5xx") === 0);
    add("fuzz", "connection resets", "0", count("reset"), count("reset") === 0);
    add("fuzz", "no answer in time / refused", "0", count("timeout", "refused", "client-error"), count("timeout", "refused", "client-error") === 0);
    add("fuzz", "server killed or stalled (restarted)", "0", fuzz.restarts, fuzz.restarts === 0);
    add("fuzz", "error bodies not in their API's shape (OpenAI's, Anthropic's, Ollama's)", "0", count("error-shape"), count("error-shape") === 0);
    add("fuzz", "streams badly framed", "0", count("stream-framing"), count("stream-framing") === 0);
    add("fuzz", "distinct violations (signatures)", "0", fuzz.violations.length, fuzz.violations.length === 0);
    add("fuzz", "/health answers afterwards", "yes", fuzz.healthAfter ? "yes" : "no", fuzz.healthAfter);
  }
  if (overload) {
    const whole = overload.answered + overload.rejected;
    add("overload", `clients with a whole answer or 503 + Retry-After`, `${overload.clients}`, `${whole} (${overload.answered} answered, ${overload.rejected} 503)`, whole === overload.clients);
    add("overload", "answers (headers) later than 1 s after sending", "0", `${overload.late} (slowest ${ms(overload.maxHeadersMs)})`, overload.late === 0);
    add("overload", "hung / reset / truncated", "0", `${overload.hung} / ${overload.resets} / ${overload.truncated}`, overload.hung + overload.resets + overload.truncated === 0);
    add("overload", "queue wait p50 / p99 (time to headers, answered)", "", `${ms(overload.queueWaitP50)} / ${ms(overload.queueWaitP99)}`);
  }
  if (cuts) {
    const total = cuts.cuts["before-headers"] + cuts.cuts["in-prefill"] + cuts.cuts["mid-stream"];
    add("cuts", "streams cut: before headers / in prefill / mid-stream (with RST)", "", `${total}: ${cuts.cuts["before-headers"]} / ${cuts.cuts["in-prefill"]} / ${cuts.cuts["mid-stream"]} (${cuts.resets})`);
    add("cuts", "refused with 503 + Retry-After before the cut (cut requests still queued)", "", cuts.refused);
    add("cuts", "busy slots / queued afterwards", "0 / 0", `${cuts.busyAfter} / ${cuts.queuedAfter}${cuts.idle ? ` (idle after ${ms(cuts.idleMs)})` : " (15 s later)"}`, cuts.idle);
    add("cuts", "generated tokens counted once idle (1 s)", "0", cuts.generatedGrowth, cuts.generatedGrowth === 0);
    const unexpected = Object.values(cuts.unexpected).reduce((a, b) => a + b, 0);
    add("cuts", "answers other than a stream before the cut", "0", unexpected === 0 ? "0" : `${unexpected} ${JSON.stringify(cuts.unexpected)}`, unexpected === 0);
  }
  if (slow) {
    add("slow clients", "decode tok/s: idle / with slowloris + stalled reader", "", `${slow.idleTokensPerSecond.toFixed(0)} / ${slow.loadedTokensPerSecond.toFixed(0)}`);
    add("slow clients", "rounds whose stalled reader's output was all generated before measuring (longest wait)", "all", `${slow.stalledDone} (${ms(slow.stalledDoneMs)})`);
    add("slow clients", "ratio (median of adjacent pairs)", "≥ 0.90", slow.ratio.toFixed(2), slow.ratio >= 0.9);
    add("slow clients", "measured streams that failed", "0", slow.failedStreams, slow.failedStreams === 0);
  }
  if (sigterm) {
    add("SIGTERM", "/health within 1 s (when it said so)", "503 draining", `${sigterm.healthStatus.slice(0, 3)} (${ms(sigterm.drainingMs)})`, sigterm.healthDraining);
    add("SIGTERM", "new request at once", "503 server_shutting_down, Connection: close", sigterm.newRequestStatus, sigterm.newRequestRefused);
    add("SIGTERM", "running streams finished", `${sigterm.running}`, sigterm.runningCompleted, sigterm.running > 0 && sigterm.runningCompleted === sigterm.running);
    add("SIGTERM", "queued requests refused with 503", `${sigterm.queued}`, sigterm.queuedRefused, sigterm.queuedRefused === sigterm.queued);
    add("SIGTERM", "resets / truncated streams", "0 / 0", `${sigterm.resets} / ${sigterm.truncated}`, sigterm.resets + sigterm.truncated === 0);
    add("SIGTERM", "exit code", "0", sigterm.exitSignal ?? String(sigterm.exitCode), sigterm.exitCode === 0);
    add("SIGTERM", "time to exit", "", ms(sigterm.exitMs));
  }
  const swaps = report.swaps;
  if (swaps && swaps.rssKiB.length > 0) {
    const sorted = [...swaps.loadMs].sort((x, y) => x - y);
    add("swaps", "loads and requests that failed", "0", swaps.failures, swaps.failures === 0);
    add("swaps", "load time p50 / max (a 17 MiB model, unloading the other)", "", `${ms(sorted[Math.floor(sorted.length / 2)] ?? NaN)} / ${ms(sorted.at(-1) ?? NaN)}`);
    // each load leaves megabytes of garbage (the GGUF's metadata read again, the token pieces), so the RSS read from
    // outside is a sawtooth between collections: the lowest RSS of the later half against that of the earlier one
    // (the first cycle, which settles the allocator's pools, left out) is what a leak per load would raise
    const rss = swaps.rssKiB;
    const half = Math.max(2, Math.ceil(rss.length / 2));
    const early = Math.min(...rss.slice(1, half));
    const late = Math.min(...rss.slice(half));
    const growth = late - early;
    const bound = Math.max(16 * 1024, early * 0.05);
    add("swaps", `server RSS after cycle 1 / 2 / ${rss.length}; lowest of cycles 2–${half} / ${half + 1}–${rss.length}`, "", `${mib(rss[0])} / ${mib(rss[1])} / ${mib(rss.at(-1))}; ${mib(early)} / ${mib(late)}`);
    if (rss.length > half) add("swaps", "growth of the lowest RSS, earlier half to later half", `≤ ${mib(bound)}`, `${growth >= 0 ? "+" : "−"}${mib(Math.abs(growth))}`, growth <= bound);
  }
  const { rssBeforeKiB: before, rssAfterKiB: after } = report.memory;
  const samePid = report.memory.pidAfter === report.memory.pidBefore;
  add("memory", "server RSS before / after the run", "", `${mib(before)} / ${mib(after)}${samePid ? "" : " (a restarted process)"}`);
  // read from outside, with no collection forced: garbage not yet collected is in it, so the growth is reported,
  // not judged (README "Reliability" gives the bound after a collection, measured over rounds)
  if (samePid && before !== undefined && after !== undefined) add("memory", "server RSS growth over the run (no collection forced)", "", mib(after - before));
  let previous = before;
  for (const sample of report.memory.afterScenarios) {
    const change = sample.restarted
      ? ` (a restarted process, pid ${sample.pid})`
      : sample.rssKiB !== undefined && previous !== undefined
        ? ` (${sample.rssKiB >= previous ? "+" : "−"}${mib(Math.abs(sample.rssKiB - previous))})`
        : "";
    add("memory", `server RSS after ${sample.scenario}`, "", `${mib(sample.rssKiB)}${change}`);
    previous = sample.rssKiB;
  }
  for (const error of report.errors) add("run", "scenario error", "none", error, false);
  return checks;
}
