import { routerError, type RouterError } from "../ir/error";

export interface UpstreamRequest {
  url: string;
  headers: Headers;
  body: Uint8Array | string;
  signal: AbortSignal;
}

/**
 * One HTTP call to an upstream. Bun's fetch has its own ~300 s inactivity limit that no
 * AbortSignal overrides (oven-sh/bun#16682); `timeout: false` turns it off so the client's
 * signal (and, later, our own timeouts) are the only ones that apply. Redirects are not
 * followed: an API answering with one is misconfigured, and following it could carry keys elsewhere.
 */
export async function callUpstream(req: UpstreamRequest): Promise<Response | RouterError> {
  try {
    return await fetch(req.url, {
      method: "POST",
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      redirect: "manual",
      timeout: false,
    });
  } catch (cause) {
    if (req.signal.aborted) return routerError("invalid_request", "client closed the request", { status: 499, cause });
    return routerError("bad_gateway", `upstream unreachable: ${describe(cause)}`, { cause });
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return (cause as Error & { code?: string }).code ?? cause.message;
  return String(cause);
}
