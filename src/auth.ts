import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Checks the router token. Clients of each API send their key their own way, so all of them
 * are accepted: `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` and `?key=`.
 * Digests are compared so the comparison takes the same time whatever the length or content.
 * The API routes (core) and `/metrics` (metrics) both ask it, so it imports nothing of either.
 */
export function makeAuthCheck(token: string | undefined): (headers: Headers, url: URL) => boolean {
  if (!token) return () => true;
  const want = digest(token);
  return (headers, url) => {
    for (const presented of credentials(headers, url)) {
      if (timingSafeEqual(digest(presented), want)) return true;
    }
    return false;
  };
}

function* credentials(headers: Headers, url: URL): Generator<string> {
  const auth = headers.get("authorization");
  if (auth && /^bearer\s+/i.test(auth)) yield auth.replace(/^bearer\s+/i, "").trim();
  for (const name of ["x-api-key", "x-goog-api-key"]) {
    const v = headers.get(name);
    if (v) yield v.trim();
  }
  const key = url.searchParams.get("key");
  if (key) yield key;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
