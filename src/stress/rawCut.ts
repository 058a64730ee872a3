import net from "node:net";

/**
 * Sends the first `bytes` bytes of an HTTP request on a raw socket and leaves (a close, or a TCP reset): a client
 * gone before the server has its whole request. Resolves once the socket is closed, within `timeoutMs`.
 */
export function rawCut(origin: string, request: Buffer, bytes: number, reset: boolean, timeoutMs: number): Promise<void> {
  const url = new URL(origin);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on("connect", () => {
      socket.write(request.subarray(0, bytes), () => (reset ? socket.resetAndDestroy() : socket.destroy()));
    });
  });
}
