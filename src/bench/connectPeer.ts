import type { ServingTarget } from "./ServingTarget.js";

/** A peer as the bench measures it: an OpenAI-compatible server already running, known by its URL. */
export interface Peer extends ServingTarget {
  /** The URL as given to --peer. */
  readonly url: string;
}

/**
 * Reaches a peer before anything is measured, so a wrong URL, a missing key or a server that is not up ends the
 * bench at once with a message saying which: GET {url}/models, within `timeoutMs`. The model is the URL's
 * fragment when it has one (`http://127.0.0.1:11434/v1#llama2:7b`, for a server listing several), else the first
 * the server lists.
 */
export async function connectPeer(url: string, apiKey: string | undefined, timeoutMs = 10_000): Promise<Peer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--peer: "${url}" is not a URL (give the API's base, e.g. http://127.0.0.1:8080/v1)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`--peer: "${url}" is not an http(s) URL`);
  const wanted = parsed.hash === "" ? undefined : decodeURIComponent(parsed.hash.slice(1));
  parsed.hash = "";
  const apiUrl = parsed.href.replace(/\/+$/, "");
  let status: number;
  let text: string;
  try {
    // the signal bounds the body's arrival too
    const response = await fetch(`${apiUrl}/models`, {
      headers: apiKey === undefined ? {} : { Authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      (error as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs / 1000} s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new Error(`peer ${url}: GET ${apiUrl}/models failed: ${reason} (is the server up, and is this its API's base URL?)`);
  }
  if (status !== 200) throw new Error(`peer ${url}: GET ${apiUrl}/models answered HTTP ${status}: ${text.slice(0, 300)}`);
  let ids: string[];
  try {
    ids = ((JSON.parse(text) as { data: Array<{ id: string }> }).data ?? []).map((model) => model.id);
  } catch {
    throw new Error(`peer ${url}: GET ${apiUrl}/models did not answer an OpenAI model list: ${text.slice(0, 300)}`);
  }
  if (wanted !== undefined && !ids.includes(wanted)) throw new Error(`peer ${url}: no model "${wanted}" among ${ids.join(", ") || "none"}`);
  const modelId = wanted ?? ids[0];
  if (modelId === undefined) throw new Error(`peer ${url}: GET ${apiUrl}/models lists no model`);
  return { url, apiUrl, modelId, requestOptions: apiKey === undefined ? {} : { apiKey } };
}
