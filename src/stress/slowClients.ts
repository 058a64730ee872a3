import net from "node:net";
import { rawPost } from "./rawCut.js";

/** An open hostile connection; `close()` ends it and says whether the server had closed it first. */
export interface SlowClient {
  close(): { closedByServer: boolean; openMs: number };
}

/** A slowloris: a request whose header lines arrive one every `everyMs`, never finished. */
export function slowloris(origin: string, everyMs: number): SlowClient {
  const url = new URL(origin);
  const opened = performance.now();
  let closedByServer = false;
  const socket = net.connect({ host: url.hostname, port: Number(url.port) });
  socket.on("error", () => undefined);
  socket.on("close", () => (closedByServer = true));
  socket.on("connect", () => socket.write(`POST /v1/completions HTTP/1.1\r\nHost: ${url.host}\r\n`));
  let line = 0;
  const timer = setInterval(() => {
    if (socket.writable) socket.write(`X-Slow-${line++}: ${"a".repeat(10)}\r\n`);
  }, everyMs);
  return {
    close: () => {
      clearInterval(timer);
      const state = { closedByServer, openMs: performance.now() - opened };
      socket.destroy();
      return state;
    },
  };
}

/**
 * A client that sends a streamed completion, reads until the first bytes of the answer arrive (its generation has
 * started) and then never reads again. Resolves once it has stopped reading (or after `timeoutMs`).
 */
export async function stalledReader(origin: string, headers: Record<string, string>, body: unknown, timeoutMs: number): Promise<SlowClient> {
  const url = new URL(origin);
  const opened = performance.now();
  let closedByServer = false;
  const socket = net.connect({ host: url.hostname, port: Number(url.port) });
  socket.on("error", () => undefined);
  socket.on("close", () => (closedByServer = true));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    socket.on("connect", () => socket.write(rawPost(origin, "/v1/completions", headers, body)));
    socket.once("data", () => {
      socket.pause();
      clearTimeout(timer);
      resolve();
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    close: () => {
      const state = { closedByServer, openMs: performance.now() - opened };
      socket.destroy();
      return state;
    },
  };
}
