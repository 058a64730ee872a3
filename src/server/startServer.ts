import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp, type AppOptions } from "./createApp.js";
import { loadingResponse } from "./loadingResponse.js";

export interface RunningServer {
  url: string;
  port: number;
  /** From now on the app answers every request (until then, `loadingResponse`: the models are loading). */
  ready(app: AppOptions): void;
  /**
   * Stops listening and resolves once every connection is closed. With `graceMs`, connections are closed as their
   * responses end (a keep-alive connection as soon as it is idle), and whatever is still open after `graceMs` is cut;
   * without it, every connection is cut at once.
   */
  close(graceMs?: number): Promise<void>;
}

/** Where the server listens. */
export interface ListenOptions {
  host: string;
  port: number;
  /** PEM certificate (chain) and private key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export type ServerOptions = ListenOptions & AppOptions;

/** How often idle keep-alive connections are looked for while the server closes gracefully. */
const IDLE_SWEEP_MS = 50;

/**
 * Listens on `host:port` (port 0: any free port) and resolves once the server accepts connections, answering as
 * `loadingResponse` does until `ready()` gives it the app.
 */
export function startServer(options: ListenOptions): Promise<RunningServer> {
  let answer: (request: Request, env: unknown) => Response | Promise<Response> = loadingResponse;
  const tls = options.tls;
  const transport = tls ? { createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } } : {};
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: (request: Request, env: unknown) => answer(request, env), hostname: options.host, port: options.port, ...transport }, (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `${tls ? "https" : "http"}://${host}:${info.port}`,
        port: info.port,
        ready: (app) => {
          const hono = createApp(app);
          answer = (request, env) => hono.fetch(request, env as never);
        },
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
