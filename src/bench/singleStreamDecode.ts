import { REQUEST_DEFAULTS } from "./requestDefaults.js";
import type { ServingTarget } from "./ServingTarget.js";
import { streamRequest, type StreamTiming } from "./streamRequest.js";

/** Decode tokens/s of one stream: between its first and its last text chunk. */
function decodeRate(timing: StreamTiming): number {
  const first = timing.textAt[0]!;
  const last = timing.textAt.at(-1)!;
  return (1000 * (timing.completionTokens - 1)) / (last - first);
}

/** One completion of `tokens` tokens after `prompt`, alone on the server: its decode rate in tokens/s. */
export async function singleStreamDecode(
  target: ServingTarget,
  prompt: string,
  tokens: number,
  sampling: { seed?: number; temperature?: number },
): Promise<number> {
  const timing = await streamRequest(
    `${target.apiUrl}/completions`,
    { ...REQUEST_DEFAULTS, model: target.modelId, prompt, max_tokens: tokens, ...sampling },
    target.requestOptions,
  );
  return decodeRate(timing);
}
