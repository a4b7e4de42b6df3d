import { makeAuthCheck } from "../auth";
import { CLIENT_KEYS } from "../wire";
import type { Metrics } from "./metrics";

export interface MetricsEndpointOptions {
  /** The router token; without one the endpoint is open like every other. */
  token?: string;
  /** `server_settings.metrics_public`: scrapers without the token may read it. A function is read per request, so a reload applies. */
  public?: boolean | (() => boolean);
}

/**
 * `GET /metrics`. Series name the configured groups and models and count traffic, which is
 * worth protecting like the API itself, so the router token applies unless the operator opens
 * it. Prometheus presents the token as `Authorization: Bearer` (scrape config `authorization`);
 * the other forms the router accepts work too. Answers are plain text, not an API's error
 * shape: the reader is a scraper.
 */
export function createMetricsEndpoint(
  metrics: Metrics,
  opts: MetricsEndpointOptions,
): (request: Request) => Promise<Response> {
  const authorized = makeAuthCheck(opts.token, CLIENT_KEYS);
  const open = typeof opts.public === "function" ? opts.public : () => opts.public === true;
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "method not allowed\n", { allow: "GET, HEAD" });
    }
    if (!open() && !authorized(request.headers, new URL(request.url))) {
      return text(401, "invalid or missing token for /metrics\n", {
        "www-authenticate": 'Bearer realm="llm-router"',
      });
    }
    const body = await metrics.render();
    return new Response(request.method === "HEAD" ? null : body, {
      headers: { "content-type": metrics.contentType, "cache-control": "no-store" },
    });
  };
}

function text(status: number, body: string, headers: Record<string, string>): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}
