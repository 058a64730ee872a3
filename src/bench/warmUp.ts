import { REQUEST_DEFAULTS } from "./requestDefaults.js";
import type { ServingTarget } from "./ServingTarget.js";
import { streamRequest, type StreamTiming } from "./streamRequest.js";

/** One untimed request, so the first measured one does not pay for the server's first-use costs. */
export function warmUp(target: ServingTarget): Promise<StreamTiming> {
  return streamRequest(`${target.apiUrl}/completions`, { ...REQUEST_DEFAULTS, model: target.modelId, prompt: "Warm up.", max_tokens: 4 }, target.requestOptions);
}
