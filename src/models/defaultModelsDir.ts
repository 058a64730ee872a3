import os from "node:os";
import { join } from "node:path";

/** `$HERMES_HOME/models`, `HERMES_HOME` defaulting to `~/.cache/hermes-serve`: the folder `--models-dir` defaults to. */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HERMES_HOME || join(os.homedir(), ".cache", "hermes-serve"), "models");
}
