import { defaultModelsDir } from "../models/defaultModelsDir.js";
import { formatBytes } from "../models/formatBytes.js";
import { resolveModelRef, type ResolvedModel, type ResolveProgress } from "../models/resolveModelRef.js";
import { describeCheck } from "./describeCheck.js";
import { ProgressBar } from "./ProgressBar.js";
import { TransferRate } from "./TransferRate.js";

/** The flags of every command that takes a model reference. */
export const modelStoreOptions = {
  "models-dir": { type: "string" },
  offline: { type: "boolean", default: false },
} as const;

export const modelStoreUsage = `  --models-dir DIR    where downloaded models are kept (default $HERMES_HOME/models, HERMES_HOME defaulting to
                      ~/.cache/hermes-serve)
  --offline           use the models folder only, never the network (also: HF_HUB_OFFLINE=1)`;

/** What `modelStoreOptions` parse to. */
export interface ModelStoreFlags {
  "models-dir"?: string;
  offline?: boolean;
}

/**
 * A model flag's reference as a local file, downloading it (with a progress bar of bytes, rate and time left) when
 * it is not in the models folder. `what` names the flag in the messages ("embedding model file not found: X").
 */
export async function resolveModelFlag(ref: string, flags: ModelStoreFlags, what = "model"): Promise<ResolvedModel> {
  let bar: { phase: ResolveProgress["phase"]; progress: ProgressBar; rate: TransferRate } | undefined;
  const onProgress = (p: ResolveProgress): void => {
    if (bar?.phase !== p.phase) {
      bar = { phase: p.phase, progress: new ProgressBar(p.phase === "download" ? `downloading ${ref}` : `checking SHA-256 of ${ref}`), rate: new TransferRate() };
    }
    const { bytesPerSecond, secondsLeft } = bar.rate.sample(p.done, p.total);
    const rate = bytesPerSecond !== undefined ? `, ${formatBytes(bytesPerSecond)}/s` : "";
    bar.progress.update(p.total > 0 ? p.done / p.total : 0, `${formatBytes(p.done)} / ${formatBytes(p.total)}${rate}`, secondsLeft ?? null);
  };
  const resolved = await resolveModelRef(ref, {
    modelsDir: flags["models-dir"] ?? defaultModelsDir(),
    offline: flags.offline ?? false,
    what,
    onProgress,
    onNotice: (message) => console.error(message),
  });
  if (resolved.downloaded && resolved.cached) {
    bar?.progress.done(`${resolved.cached.record.ref}: ${formatBytes(resolved.cached.bytes)}, ${describeCheck(resolved.cached.record.checked)}, in ${resolved.path}`);
  }
  return resolved;
}
