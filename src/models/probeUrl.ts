import { HubUnreachableError, ModelDownloadError, NoSuchModelFileError } from "./modelErrors.js";
import { networkFailure } from "./networkFailure.js";

const PROBE_TIMEOUT_MS = 30_000;

/**
 * A `HEAD` of a model URL before its download: an unreachable host, a 404 or a refusal is said at once (the
 * downloader would retry a failed connection for minutes), and the size the server states is what the download is
 * checked against (a URL has no hub to state a SHA-256). Undefined size: the server did not say (or refuses HEAD).
 */
export async function probeUrl(url: string, signal?: AbortSignal): Promise<{ size?: number }> {
  const timeout = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, { method: "HEAD", headers: { "accept-encoding": "identity" }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const host = new URL(url).host;
    if (timeout.aborted) throw new HubUnreachableError(`${host} did not answer within ${PROBE_TIMEOUT_MS / 1000} s (${url})`);
    throw new HubUnreachableError(`cannot reach ${host} (${networkFailure(error)})`, { cause: error });
  }
  if (response.status === 404 || response.status === 410) throw new NoSuchModelFileError(`no file at ${url} (HTTP ${response.status})`);
  if (response.status === 405 || response.status === 501) return {};
  if (!response.ok) throw new ModelDownloadError(`${url}: HTTP ${response.status} ${response.statusText}`);
  const length = Number(response.headers.get("content-length"));
  return Number.isSafeInteger(length) && length > 0 ? { size: length } : {};
}
