import { judgeStress } from "./judgeStress.js";
import type { StressReport } from "./StressReport.js";

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The Reliability table in markdown, with the command and server settings that produced it, and each violation's reproduction. */
export function renderStressReport(report: StressReport): string {
  const lines = [
    `hermes stress, ${report.date}, commit ${report.commit}: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}`,
    "",
    `Command: \`${report.command}\`; server: \`hermes serve ${report.serverArgs.join(" ")}\``,
    "",
    "| scenario | figure | expected | measured | |",
    "|---|---|---|---|---|",
    ...judgeStress(report).map(
      (check) => `| ${check.scenario} | ${cell(check.figure)} | ${cell(check.expected)} | ${cell(check.measured)} | ${check.met === undefined ? "" : check.met ? "met" : "**MISSED**"} |`,
    ),
  ];
  const violations = report.fuzz?.violations ?? [];
  if (violations.length > 0) {
    lines.push("", "Fuzz violations (count, then the smallest request found; every request is in the JSON):", "");
    for (const v of violations) {
      const request = v.shrunk ?? v.request;
      const body = request.body === undefined ? "" : ` ${request.body.length > 200 ? `${request.body.slice(0, 200)}… (${request.bodyBytes} bytes)` : request.body}`;
      lines.push(`- ${v.signature} ×${v.count}: ${v.detail.split("\n")[0]!.slice(0, 200)} ← \`${request.method} ${request.path}\`${cell(body)}`);
    }
  }
  for (const restart of report.restarts) lines.push(`- server restarted: ${restart.reason}${restart.exit ? ` (exit ${JSON.stringify(restart.exit)})` : ""}`);
  return lines.join("\n");
}
