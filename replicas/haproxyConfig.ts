/**
 * The HAProxy configuration the replicas run behind, as docs/deploy.md gives it: `balance leastconn` (a replica
 * busy with long generations gets fewer new ones), a health check on `/health` every `checkMs` (a draining replica
 * answers 503 and is taken out at once), and layer-7 retries of what never ran on a replica: a refused or reset
 * connection, an empty response (never a timeout: the request may have run), or our 503 (`server_shutting_down`,
 * `model_unavailable`, `server_overloaded`: the request was not run), replayed on another server
 * (`option redispatch`). Retrying a POST needs its body kept: `option http-buffer-request`.
 */
export function haproxyConfig(options: { frontend: number; servers: ReadonlyArray<{ name: string; port: number }>; checkMs: number }): string {
  return [
    "global",
    "  maxconn 1024",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 120s",
    "  timeout server 120s",
    "  option http-buffer-request",
    "  retries 3",
    "  option redispatch 1",
    "  retry-on conn-failure empty-response 503",
    "frontend api",
    `  bind 127.0.0.1:${options.frontend}`,
    "  default_backend hermes",
    "backend hermes",
    "  balance leastconn",
    "  option httpchk GET /health",
    "  http-check expect status 200",
    `  default-server inter ${options.checkMs} fall 1 rise 2`,
    ...options.servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port} check`),
    "",
  ].join("\n");
}
