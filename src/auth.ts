import { createHash, timingSafeEqual } from "node:crypto";

/** Where clients may put a key besides `Authorization: Bearer` (the formats name them). */
export interface KeyPlaces {
  headers: readonly string[];
  query: readonly string[];
}

/**
 * Checks the router token. Clients of each API send their key their own way, so all of them
 * are accepted: `Authorization: Bearer`, and each format's own headers and query parameters.
 * Digests are compared so the comparison takes the same time whatever the length or content.
 * The API routes (core) and `/metrics` (metrics) both ask it, so it imports nothing of either.
 */
export function makeAuthCheck(
  token: string | undefined,
  places: KeyPlaces,
): (headers: Headers, url: URL) => boolean {
  if (!token) return () => true;
  const want = digest(token);
  return (headers, url) => {
    for (const presented of credentials(headers, url, places)) {
      if (timingSafeEqual(digest(presented), want)) return true;
    }
    return false;
  };
}

/** Every key the request presents, in the places its format's clients put them. */
export function* credentials(headers: Headers, url: URL, places: KeyPlaces): Generator<string> {
  const auth = headers.get("authorization");
  if (auth && /^bearer\s+/i.test(auth)) yield auth.replace(/^bearer\s+/i, "").trim();
  for (const name of places.headers) {
    const v = headers.get(name);
    if (v) yield v.trim();
  }
  for (const name of places.query) {
    const key = url.searchParams.get(name);
    if (key) yield key;
  }
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/**
 * A listen address only this machine can reach: there, a router without token or keys is not
 * open to anyone else. The startup warning and `--check` both ask it.
 */
export function isLoopback(ip: string): boolean {
  return /^(127\.|::1$|localhost$)/.test(ip);
}
