import net from "node:net";

/** An open hostile connection; `close()` ends it and says whether the server had closed it first. */
export interface SlowClient {
  close(): { closedByServer: boolean; openMs: number };
}

/** A raw connection to `origin` that notes whether the server closes it; the slow clients write on `socket`. */
export function slowConnection(origin: string): SlowClient & { socket: net.Socket; url: URL } {
  const url = new URL(origin);
  const opened = performance.now();
  let closedByServer = false;
  const socket = net.connect({ host: url.hostname, port: Number(url.port) });
  // the server resetting the connection is what is watched for, not a failure of ours
  socket.on("error", () => undefined);
  socket.on("close", () => (closedByServer = true));
  return {
    socket,
    url,
    close: () => {
      const state = { closedByServer, openMs: performance.now() - opened };
      socket.destroy();
      return state;
    },
  };
}
