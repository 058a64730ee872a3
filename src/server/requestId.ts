import { randomUUID } from "node:crypto";

const SAFE = /^[A-Za-z0-9._:\/+=@-]{1,128}$/;

/**
 * The id of a request: the client's `x-request-id` when it is 1-128 characters of letters, digits and `._:/+=@-`
 * (it goes into logs and headers as is, so nothing else may pass), else a new UUID.
 */
export function requestId(header: string | undefined): string {
  return header !== undefined && SAFE.test(header) ? header : randomUUID();
}
