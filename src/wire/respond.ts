/** Small Response builders shared by the wire formats. */

/** A Headers object passed in is the caller's own copy, and is used (and changed) as it is. */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers?: Headers | Record<string, string>,
): Response {
  const h = headers instanceof Headers ? headers : new Headers(headers);
  h.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}

export function errorHeaders(retryAfter?: string): Record<string, string> | undefined {
  return retryAfter ? { "retry-after": retryAfter } : undefined;
}
