/** The bytes of a POST with a JSON body, as a client writes them. */
export function rawPost(origin: string, path: string, headers: Record<string, string>, body: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(body));
  const lines = [`POST ${path} HTTP/1.1`, `Host: ${new URL(origin).host}`, "Content-Type: application/json", `Content-Length: ${payload.length}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), payload]);
}
