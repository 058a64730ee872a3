import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp, type AppOptions } from "./createApp.js";

export interface RunningServer {
  url: string;
  port: number;
  /**
   * Stops listening and resolves once every connection is closed. With `graceMs`, connections are closed as their
   * responses end (a keep-alive connection as soon as it is idle), and whatever is still open after `graceMs` is cut;
   * without it, every connection is cut at once.
   */
  close(graceMs?: number): Promise<void>;
}

export interface ServerOptions extends AppOptions {
  host: string;
  port: number;
  /** PEM certificate (chain) and private key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** How often idle keep-alive connections are looked for while the server closes gracefully. */
const IDLE_SWEEP_MS = 50;

/** Listens on `host:port` (port 0: any free port) and resolves once the server accepts connections. */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const app = createApp(options);
  const tls = options.tls;
  const transport = tls ? { createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } } : {};
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port, ...transport }, (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `${tls ? "https" : "http"}://${host}:${info.port}`,
        port: info.port,
        close: (graceMs = 0) =>
          new Promise<void>((done) => {
            const http = server as Server;
            // a connection whose response ends after close() would otherwise stay open until its keep-alive timeout
            const sweep = setInterval(() => http.closeIdleConnections(), IDLE_SWEEP_MS);
            const cut = setTimeout(() => http.closeAllConnections(), graceMs);
            http.close(() => {
              clearInterval(sweep);
              clearTimeout(cut);
              done();
            });
            if (graceMs <= 0) http.closeAllConnections();
          }),
      });
    });
    server.once("error", reject);
  });
}
