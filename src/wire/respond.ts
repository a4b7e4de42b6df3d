/** Small Response builders shared by the wire formats. */

export function jsonResponse(body: unknown, status = 200, headers?: Record<string, string>): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}

export function errorHeaders(retryAfter?: string): Record<string, string> | undefined {
  return retryAfter ? { "retry-after": retryAfter } : undefined;
}
