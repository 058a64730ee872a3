import { rawPost } from "./rawPost.js";
import { slowConnection, type SlowClient } from "./slowConnection.js";

/**
 * A client that sends a streamed completion, reads until the first bytes of the answer arrive (its generation has
 * started) and then never reads again. Resolves once it has stopped reading (or after `timeoutMs`).
 */
export async function stalledReader(origin: string, headers: Record<string, string>, body: unknown, timeoutMs: number): Promise<SlowClient> {
  const connection = slowConnection(origin);
  const { socket } = connection;
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
  return { close: connection.close };
}
