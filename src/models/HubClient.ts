import type { HubFile } from "./HubFile.js";
import { hubEndpoint } from "./hubEndpoint.js";
import { hubToken } from "./hubToken.js";
import { HubUnreachableError, ModelAccessError, ModelDownloadError, NoSuchModelFileError } from "./modelErrors.js";
import { networkFailure } from "./networkFailure.js";

/** The model-info call may wait this long for the hub: a hub that never answers is an error, not a hang. */
const INFO_TIMEOUT_MS = 30_000;

interface Sibling {
  rfilename?: unknown;
  size?: unknown;
  lfs?: { sha256?: unknown; size?: unknown } | null;
}

/**
 * The hub's model-info API (`GET api/models/OWNER/REPO/revision/main?blobs=true`): a repo's files with their sizes
 * and LFS SHA-256s, what a download is checked against. An API call, not a download: plain `fetch`.
 */
export class HubClient {
  constructor(
    readonly endpoint: string = hubEndpoint(),
    private readonly token: string | undefined = hubToken(),
  ) {}

  async repoFiles(repo: string, signal?: AbortSignal): Promise<HubFile[]> {
    const url = `${this.endpoint}api/models/${repo.split("/").map(encodeURIComponent).join("/")}/revision/main?blobs=true`;
    const timeout = AbortSignal.timeout(INFO_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw new HubUnreachableError(`the hub at ${this.endpoint} did not answer within ${INFO_TIMEOUT_MS / 1000} s (model info of ${repo})`);
      throw new HubUnreachableError(`cannot reach the hub at ${this.endpoint} (${networkFailure(error)})`, { cause: error });
    }
    if (response.status === 401 || response.status === 403) throw new ModelAccessError(repo, response.status, this.token !== undefined);
    if (response.status === 404) throw new NoSuchModelFileError(`no repo ${repo} on the hub at ${this.endpoint}`);
    if (!response.ok) throw new ModelDownloadError(`model info of ${repo} from ${this.endpoint}: HTTP ${response.status} ${response.statusText}`);
    let body: { siblings?: unknown };
    try {
      body = (await response.json()) as { siblings?: unknown };
    } catch (error) {
      throw new ModelDownloadError(`model info of ${repo} from ${this.endpoint} is not JSON`, { cause: error });
    }
    if (!Array.isArray(body.siblings)) throw new ModelDownloadError(`model info of ${repo} from ${this.endpoint} lists no files (no "siblings")`);
    return (body.siblings as Sibling[]).flatMap((sibling): HubFile[] => {
      const size = sibling.lfs?.size ?? sibling.size;
      if (typeof sibling.rfilename !== "string" || typeof size !== "number") return [];
      const sha256 = sibling.lfs?.sha256;
      return [{ path: sibling.rfilename, size, ...(typeof sha256 === "string" ? { sha256: sha256.toLowerCase() } : {}) }];
    });
  }
}
