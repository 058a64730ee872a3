/** A fuzz request's body as the bytes that go out: text as UTF-8, bytes (not valid UTF-8 on purpose) as they are. */
export function bodyBuffer(body: string | Uint8Array | undefined): Buffer | undefined {
  return body === undefined ? undefined : typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
}
