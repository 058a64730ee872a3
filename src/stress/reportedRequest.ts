import { bodyBuffer } from "./bodyBuffer.js";
import type { FuzzRequest } from "./fuzzRequests.js";

/** A request as a report shows it: enough to send it again by hand. */
export interface ReportedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body as text; `base64:` and the bytes when it is not valid UTF-8; possibly cut (then it says so). */
  body?: string;
  bodyBytes?: number;
  mutations?: FuzzRequest["mutations"];
}

/** `bodyLimit`: characters of body kept (a shrunk request is kept whole, so it can be sent again). */
export function reportedRequest(request: FuzzRequest, bodyLimit = 4_000): ReportedRequest {
  const bytes = bodyBuffer(request.body);
  let body: string | undefined;
  if (bytes) {
    const text = bytes.toString("utf8");
    body = Buffer.from(text, "utf8").equals(bytes) ? text : `base64:${bytes.toString("base64")}`;
    if (body.length > bodyLimit) body = `${body.slice(0, bodyLimit)}… (cut here; ${bytes.length} bytes in all)`;
  }
  const cut = (raw: string | undefined): string | undefined => (raw !== undefined && raw.length > 300 ? `${raw.slice(0, 300)}… (${raw.length} characters)` : raw);
  return {
    method: request.method,
    path: request.path,
    headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, value.length > 300 ? `${value.slice(0, 300)}… (${value.length} characters)` : value])),
    ...(body !== undefined ? { body, bodyBytes: bytes!.length } : {}),
    ...(request.mutations ? { mutations: request.mutations.map(([field, raw]) => [field, cut(raw)] as [string, string | undefined]) } : {}),
  };
}
