import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

/**
 * The Hugging Face token, found where node-llama-cpp's downloader (and huggingface_hub) looks: `HF_TOKEN`, else the
 * file `HF_TOKEN_PATH` or `$HF_HOME/token` (`~/.cache/huggingface/token`, what `huggingface-cli login` writes).
 */
export function hubToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HF_TOKEN) return env.HF_TOKEN;
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(os.homedir(), ".cache"), "huggingface");
  try {
    const token = readFileSync(env.HF_TOKEN_PATH || join(home, "token"), "utf8").trim();
    return token === "" ? undefined : token;
  } catch {
    return undefined;
  }
}
