import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface HubRepoSpec {
  /** Path in the repo → content. */
  files: Record<string, Buffer>;
  /**
   * Answers its downloads with 401 unless the request carries this bearer token; its model info stays public, as the
   * hub's is for a gated repo.
   */
  gatedToken?: string;
  /** Answers its model info with 401 too, as the hub does for a private repo (and for one that does not exist). */
  private?: boolean;
  /** Serves this byte offset of every file flipped, while the model info states the true SHA-256: a bad mirror. */
  corruptByteAt?: number;
}

export interface TestHub {
  /** The hub's base URL, for HF_ENDPOINT. */
  url: string;
  /** Body bytes written, by the kind of response: 206 to a `Range`, 200 to a GET without one. */
  served: { ranged: number; whole: number };
  /** Every request, `METHOD /path [range]`. */
  requests: string[];
  /** The next `bytes` bytes of ranged bodies are served, then that response's socket is destroyed (once). */
  cutAfter(bytes: number): void;
  close(): Promise<void>;
}

interface Blob {
  data: Buffer;
  sha256: string;
  repo: HubRepoSpec;
  cdnPath: string;
}

const PIECE = 64 * 1024;
const LINK_BURST_MS = 20;

/**
 * A local stand-in for the Hugging Face hub, for the routes node-llama-cpp's downloader and our model-info call use:
 * `GET api/models/OWNER/REPO/revision/main?blobs=true` (siblings with sizes and LFS SHA-256s, as the hub's API gives
 * them), `GET|HEAD OWNER/REPO/resolve/main/PATH` (a 302 to a CDN-like `/cdn/N/SHA256`, as the hub redirects LFS
 * files), and the CDN's `GET|HEAD` with `Range` (206), `Accept-Ranges` and an `ETag`. Counts the body bytes it sends.
 * `bytesPerSecond` paces all its bodies together, as one network link would (the measurement's realistic case).
 */
export async function startTestHub(repos: Record<string, HubRepoSpec>, options: { bytesPerSecond?: number } = {}): Promise<TestHub> {
  const blobs = new Map<string, Blob>();
  const repoFiles = new Map<string, Map<string, Blob>>();
  for (const [index, [name, repo]] of Object.entries(repos).entries()) {
    const files = new Map<string, Blob>();
    for (const [path, data] of Object.entries(repo.files)) {
      const sha256 = createHash("sha256").update(data).digest("hex");
      // per repo: repos may hold the same bytes, each behind its own access rule
      const blob = { data, sha256, repo, cdnPath: `/cdn/${index}/${sha256}` };
      blobs.set(blob.cdnPath, blob);
      files.set(path, blob);
    }
    repoFiles.set(name, files);
  }
  let cutBudget: number | undefined;
  /** When the link is free again (with `bytesPerSecond`). */
  let linkFreeAt = 0;
  const hub: Omit<TestHub, "url" | "close"> = {
    served: { ranged: 0, whole: 0 },
    requests: [],
    cutAfter: (bytes) => void (cutBudget = bytes),
  };

  const refused = (req: http.IncomingMessage, repo: HubRepoSpec): boolean =>
    repo.gatedToken !== undefined && req.headers.authorization !== `Bearer ${repo.gatedToken}`;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://hub");
    hub.requests.push(`${req.method} ${url.pathname}${req.headers.range ? ` ${req.headers.range}` : ""}`);
    const info = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/main$/.exec(url.pathname);
    if (info && req.method === "GET") {
      const name = decodeURIComponent(info[1]!);
      const files = repoFiles.get(name);
      if (!files) return json(res, 404, { error: "Repository not found" });
      if (repos[name]!.private && refused(req, repos[name]!)) return json(res, 401, { error: "Repository not found" });
      const siblings = [...files].map(([path, blob]) => ({
        rfilename: path,
        size: blob.data.length,
        blobId: createHash("sha1").update(blob.data).digest("hex"),
        lfs: { sha256: blob.sha256, size: blob.data.length, pointerSize: 134 },
      }));
      return json(res, 200, { id: name, modelId: name, sha: "0".repeat(40), siblings: [...siblings, { rfilename: "README.md", size: 11, blobId: "1".repeat(40) }] });
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    if (resolve && (req.method === "GET" || req.method === "HEAD")) {
      const name = decodeURIComponent(resolve[1]!);
      const blob = repoFiles.get(name)?.get(decodeURIComponent(resolve[2]!));
      if (!blob) return json(res, 404, { error: "Entry not found" });
      if (refused(req, blob.repo)) return json(res, 401, { error: "Access to this repo is restricted" });
      res.writeHead(302, { location: blob.cdnPath, "x-linked-size": blob.data.length, "x-linked-etag": `"${blob.sha256}"`, "content-length": 0 });
      return res.end();
    }
    const blob = blobs.get(url.pathname);
    if (!blob || (req.method !== "GET" && req.method !== "HEAD")) return json(res, 404, { error: "not found" });
    if (refused(req, blob.repo)) return json(res, 401, { error: "Access to this repo is restricted" });
    serveBlob(req, res, blob);
  });

  function serveBlob(req: http.IncomingMessage, res: http.ServerResponse, blob: Blob): void {
    const size = blob.data.length;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] !== "" ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (range && start >= size) {
      res.writeHead(416, { "content-range": `bytes */${size}` });
      return void res.end();
    }
    const headers: http.OutgoingHttpHeaders = { "content-length": end - start + 1, "accept-ranges": "bytes", etag: `"${blob.sha256}"`, "content-type": "application/octet-stream" };
    if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD") return void res.end();
    let at = start;
    const pump = (): void => {
      while (at <= end) {
        // a 20 ms burst: timers fire a millisecond or more late, which would slow a pace set piece by piece
        if (options.bytesPerSecond !== undefined && linkFreeAt - Date.now() > LINK_BURST_MS) return void setTimeout(pump, linkFreeAt - Date.now() - LINK_BURST_MS);
        let piece = blob.data.subarray(at, Math.min(at + PIECE, end + 1));
        if (range && cutBudget !== undefined) {
          if (cutBudget <= 0) {
            cutBudget = undefined;
            req.socket.destroy();
            return;
          }
          piece = piece.subarray(0, Math.min(piece.length, cutBudget));
          cutBudget -= piece.length;
        }
        if (blob.repo.corruptByteAt !== undefined && blob.repo.corruptByteAt >= at && blob.repo.corruptByteAt < at + piece.length) {
          const offset = blob.repo.corruptByteAt - at;
          piece = Buffer.from(piece);
          piece.writeUInt8(piece.readUInt8(offset) ^ 0xff, offset);
        }
        at += piece.length;
        if (options.bytesPerSecond !== undefined) linkFreeAt = Math.max(linkFreeAt, Date.now()) + (piece.length / options.bytesPerSecond) * 1000;
        if (range) hub.served.ranged += piece.length;
        else hub.served.whole += piece.length;
        if (!res.write(piece)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    ...hub,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      // the downloader's size probe never reads its body: its connection stays open until closed here
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
