import { parseArgs } from "node:util";
import { formatBytes } from "../models/formatBytes.js";
import { modelRefForms } from "../models/parseModelRef.js";
import { describeCheck } from "./describeCheck.js";
import { modelStoreOptions, modelStoreUsage, resolveModelFlag } from "./resolveModelFlag.js";

export const pullUsage = `hermes pull MODEL [--models-dir DIR] [--offline]

Downloads a model into the models folder (resuming a download that stopped), checks its size and SHA-256 against
the hub's, and prints its path. A model already there is not fetched again. Gated repos need HF_TOKEN; HF_ENDPOINT
points to another hub.
${modelRefForms.replace(/^/gm, "  ")}

${modelStoreUsage}`;

export async function pullCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...modelStoreOptions, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  if (values.help) {
    console.log(pullUsage);
    return 0;
  }
  if (positionals.length !== 1) throw new Error(`give one model to pull\n\n${pullUsage}`);
  const resolved = await resolveModelFlag(positionals[0]!, values);
  if (!resolved.cached) throw new Error(`${positionals[0]} is a file on this machine already: nothing to pull`);
  if (!resolved.downloaded) console.error(`${resolved.cached.record.ref}: already in the models folder (${formatBytes(resolved.cached.bytes)}, ${describeCheck(resolved.cached.record.checked)})`);
  console.log(resolved.path);
  return 0;
}
