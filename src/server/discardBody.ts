/**
 * Reads and drops what is left of a request's body, up to `maxBytes` and for at most `timeoutMs`, before an answer
 * that did not need it (a 401, a 429, a 503 while draining, a 404). Answering while the client is still sending
 * makes the connection close under it (a reset, EPIPE, where the client should read our status): the same lingering
 * read nginx does. A body past `maxBytes` is left unread: its client gets its status and a closed connection.
 */
export async function discardBody(request: Request, maxBytes: number, timeoutMs: number): Promise<void> {
  if (request.body === null || request.bodyUsed || request.body.locked) return;
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) return;
  const reader = request.body.getReader();
  const timer = setTimeout(() => void reader.cancel().catch(() => undefined), timeoutMs);
  try {
    let read = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > maxBytes) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // cancelled at the deadline, or the client went away: nothing left to protect
  } finally {
    clearTimeout(timer);
  }
}
