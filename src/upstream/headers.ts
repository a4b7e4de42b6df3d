/**
 * Header rules at the two edges of an upstream call. Responses keep what helps the client
 * (content-type, request ids, rate-limit and retry-after hints) and lose what is wrong after a
 * hop (framing, encoding: Bun's fetch has already decompressed the body) or belongs to the
 * router's upstream account (cookies, organisation ids).
 */
const DROP_FROM_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-encoding",
  "content-length",
  "set-cookie",
  "alt-svc",
  "date",
  "server",
  "via",
]);

export function responseHeaders(upstream: Headers, account: readonly string[]): Headers {
  // A native copy and a delete per dropped name measured about half the cost of copying by hand.
  const out = new Headers(upstream);
  for (const name of DROP_FROM_RESPONSE) out.delete(name);
  for (const name of account) out.delete(name);
  return out;
}

/** Applies `rewrite_header`: a string sets the header, `null` removes it. */
export function applyHeaderRewrite(headers: Headers, rewrite: Record<string, string | null>): void {
  for (const name in rewrite) {
    const value = rewrite[name]!;
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
}
