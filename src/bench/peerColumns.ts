import { fixed } from "./figureText.js";
import type { PeerResult } from "./PeerRounds.js";
import type { ModelBenchResult } from "./runBenchmark.js";

/** The figures hermes and a peer both have (a PeerResult names them as hermes' own result does). */
export type ServingFigures = Pick<ModelBenchResult, "decodeHttp" | "concurrency" | "ttftCold" | "ttftWarm" | "chat">;

/** The table's columns for the peers: two per peer, its figure and the ratio peer / hermes. */
export interface PeerColumns {
  headers: string[];
  /** For a row of a figure only hermes has. */
  blanks: string[];
  /** For a compared row: `cell` prints a figure (of hermes or a peer), `value` gives the numbers a ratio is taken of. */
  cells(cell: (figures: ServingFigures) => string, value: (figures: ServingFigures) => number[]): string[];
  /** A line per peer whose measurement failed, with the reason. */
  failures: string[];
}

/** "0.85×", or "0.85× / 0.90×" for a p50 / p95 pair; "–" where either side is missing. */
function ratio(peer: readonly number[], hermes: readonly number[]): string {
  return peer.map((value, i) => (Number.isFinite(value / hermes[i]!) ? `${fixed(value / hermes[i]!, 2)}×` : "–")).join(" / ");
}

/**
 * Peers are compared with one model (the one they serve), so they get columns only when one model was measured.
 * A peer's header says its model, how its tokens were counted, and whether its measurement failed.
 */
export function peerColumns(models: ReadonlyArray<ServingFigures & { peers: readonly PeerResult[] }>): PeerColumns {
  const hermes = models.length === 1 ? models[0] : undefined;
  const peers = hermes?.peers ?? [];
  return {
    headers: peers.flatMap((peer) => [
      `peer ${peer.apiUrl} (${peer.modelId}; tokens ${peer.tokensCountedBy === "usage" ? "from its usage" : "counted as text chunks"}${peer.failed ? "; FAILED" : ""})`,
      "peer / hermes",
    ]),
    blanks: peers.flatMap(() => ["–", "–"]),
    cells: (cell, value) => peers.flatMap((peer) => [cell(peer), ratio(value(peer), value(hermes!))]),
    failures: peers.flatMap((peer) => (peer.failed ? [`peer ${peer.url} FAILED (its figures are those before): ${peer.failed}`] : [])),
  };
}
