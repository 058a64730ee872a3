import { ServerLoadingError } from "../errors/ApiError.js";
import { discardBody } from "./discardBody.js";

/** How much of a refused request's body is read (and for how long) before the 503, as the app does (discardBody). */
const DISCARD = { maxBytes: 8 * 1024 * 1024, ms: 2_000 };

/**
 * What the server answers while it loads its first model, before the app exists: `/health` 503 `{"status":
 * "loading"}` (a balancer's check fails, so nothing is routed here yet), `/health/live` 200 (the process is fine:
 * a liveness probe must not restart a long load), and every other request 503 `server_loading` with `Retry-After`.
 */
export async function loadingResponse(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path === "/health/live") return Response.json({ status: "alive" });
  if (path === "/health") return Response.json({ status: "loading" }, { status: 503, headers: { "Retry-After": "1" } });
  await discardBody(request, DISCARD.maxBytes, DISCARD.ms);
  const error = new ServerLoadingError();
  return Response.json(error.toJSON(), { status: error.status, headers: error.headers });
}
