import { readdirSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Env, Hono } from "hono";
import { RouteNotFoundError } from "../errors/ApiError.js";

/**
 * The page may load its own files and call its own server, nothing else: no inline script or style (the page has
 * none, so an injected one cannot run), no plugin, no other origin, no framing. The empty `data:` icon keeps the
 * browser from asking for a /favicon.ico.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const HEADERS = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  // a new build's files replace the old ones at once: the browser revalidates, cheap for a few small files
  "Cache-Control": "no-cache",
};

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

/** The playground's files beside this module in the build (its page, stylesheet and compiled modules), by name. */
function readAssets(dir: URL): Map<string, { body: Buffer; type: string }> {
  const assets = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type !== undefined) assets.set(name, { body: readFileSync(new URL(name, dir)), type });
  }
  if (!assets.has("index.html")) throw new Error(`the playground's page is missing from ${fileURLToPath(dir)}: run npm run build`);
  return assets;
}

/**
 * The web playground: its page at `GET /`, its stylesheet and modules at `GET /playground/FILE`, read once from
 * the build and served from memory (only those files: a name is looked up, never a path). No key is needed: the
 * page is static and holds no secret; it asks for the key when the API refuses it without one.
 */
export function playgroundRoutes<E extends Env>(app: Hono<E>): void {
  const assets = readAssets(new URL("./playground/", import.meta.url));
  const page = assets.get("index.html")!;
  app.get("/", (c) => c.body(new Uint8Array(page.body), 200, { ...HEADERS, "Content-Type": page.type }));
  app.get("/playground/:file", (c) => {
    const asset = assets.get(c.req.param("file"));
    if (!asset) throw new RouteNotFoundError(c.req.method, c.req.path);
    return c.body(new Uint8Array(asset.body), 200, { ...HEADERS, "Content-Type": asset.type });
  });
}
