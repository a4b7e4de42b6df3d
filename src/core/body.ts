import { routerError, type RouterError } from "../ir/error";

/** A body that has not fully arrived this long after its headers is abandoned (slowloris). */
export const BODY_TIMEOUT_MS = 30_000;

/**
 * Reads a request body up to `limit` bytes within `timeoutMs`. A declared or actual size above
 * the limit is a 413, found without buffering more than the limit; a body that trickles in for
 * longer than the deadline is a 408, so slow clients cannot hold connections open for ever
 * (Bun's idle timeout restarts with every byte they send).
 */
export async function readBody(request: Request, limit: number, timeoutMs = BODY_TIMEOUT_MS): Promise<Uint8Array | RouterError> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<RouterError>((resolve) => {
    timer = setTimeout(() => resolve(routerError("invalid_request", `request body not received within ${timeoutMs / 1000} s`, { status: 408 })), timeoutMs);
  });
  try {
    return await Promise.race([readWithin(request, limit), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function readWithin(request: Request, limit: number): Promise<Uint8Array | RouterError> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) return tooLarge(limit);
  // A declared size within the limit is read natively in one go (the server enforces the length).
  if (declared >= 0) {
    try {
      return await request.bytes();
    } catch (cause) {
      return routerError("invalid_request", "could not read the request body", { cause });
    }
  }
  if (!request.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) {
        reader.cancel().catch(() => {});
        return tooLarge(limit);
      }
      parts.push(value);
    }
  } catch (cause) {
    return routerError("invalid_request", "could not read the request body", { cause });
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Without `stream`, decode() keeps no state between calls: one decoder serves every request. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses a JSON object body; anything else is a 400 that says what was wrong. */
export function parseJsonObject(raw: Uint8Array): Record<string, unknown> | RouterError {
  if (raw.length === 0) return routerError("invalid_request", "request body is empty; expected a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(raw));
  } catch (cause) {
    const why = cause instanceof TypeError ? "request body is not valid UTF-8" : `request body is not valid JSON: ${(cause as Error).message}`;
    return routerError("invalid_request", why, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return routerError("invalid_request", "request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

function tooLarge(limit: number): RouterError {
  return routerError("request_too_large", `request body exceeds the limit of ${limit} bytes`);
}
