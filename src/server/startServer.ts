import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp, type AppOptions } from "./createApp.js";

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServerOptions extends AppOptions {
  host: string;
  port: number;
  /** PEM certificate (chain) and private key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

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
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
    server.once("error", reject);
  });
}
