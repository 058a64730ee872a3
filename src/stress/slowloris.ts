import { slowConnection, type SlowClient } from "./slowConnection.js";

/** A slowloris: a request whose header lines arrive one every `everyMs`, never finished. */
export function slowloris(origin: string, everyMs: number): SlowClient {
  const connection = slowConnection(origin);
  const { socket, url } = connection;
  socket.on("connect", () => socket.write(`POST /v1/completions HTTP/1.1\r\nHost: ${url.host}\r\n`));
  let line = 0;
  const timer = setInterval(() => {
    if (socket.writable) socket.write(`X-Slow-${line++}: ${"a".repeat(10)}\r\n`);
  }, everyMs);
  return {
    close: () => {
      clearInterval(timer);
      return connection.close();
    },
  };
}
