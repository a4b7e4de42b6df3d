import { DEFAULT_BODY_TIMEOUT_MS } from "../config/types";
import { isRouterError, routerError, type RouterError } from "../ir/error";
import type { BodyBudget } from "./body-budget";

/** The bytes all bodies may hold together, and what they hold now. */
export interface SharedBodyLimit {
  budget: BodyBudget;
  limit: number;
}

/**
 * Reads a request body up to `limit` bytes within `timeoutMs`. A declared or actual size above
 * the limit is a 413, found without buffering more than the limit; a body that trickles in for
 * longer than the deadline is a 408, so slow clients cannot hold connections open for ever
 * (Bun's idle timeout restarts with every byte they send). With `shared`, a body that would take
 * every body's total past its limit is a 503 (retry shortly); a body returned stays counted in
 * it, and the caller releases its length when done with it.
 */
export async function readBody(
  request: Request,
  limit: number,
  timeoutMs = DEFAULT_BODY_TIMEOUT_MS,
  shared?: SharedBodyLimit,
): Promise<Uint8Array | RouterError> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired = false;
  const late = new Promise<RouterError>((resolve) => {
    timer = setTimeout(() => {
      expired = true;
      resolve(
        routerError("invalid_request", `request body not received within ${timeoutMs / 1000} s`, {
          status: 408,
          closeConnection: true,
        }),
      );
    }, timeoutMs);
  });
  const reading = readWithin(request, limit, shared);
  try {
    return await Promise.race([reading, late]);
  } finally {
    clearTimeout(timer);
    // A body that arrives after its 408 was sent is nobody's: its bytes stop counting.
    if (expired && shared)
      void reading.then((r) => isRouterError(r) || shared.budget.release(r.length));
  }
}

async function readWithin(
  request: Request,
  limit: number,
  shared?: SharedBodyLimit,
): Promise<Uint8Array | RouterError> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) return tooLarge(limit);
  // A declared size within the limit is read natively in one go (the server enforces the length).
  if (declared >= 0) {
    if (shared && !shared.budget.reserve(declared, shared.limit)) return tooBusy(shared.limit);
    try {
      const bytes = await request.bytes();
      if (shared && bytes.length !== declared)
        (shared.budget.release(declared), shared.budget.reserve(bytes.length, Infinity));
      return bytes;
    } catch (cause) {
      shared?.budget.release(declared);
      return routerError("invalid_request", "could not read the request body", { cause });
    }
  }
  if (!request.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  const giveBack = () => shared?.budget.release(size);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > limit) {
        giveBack();
        reader.cancel().catch(() => {});
        return tooLarge(limit);
      }
      if (shared && !shared.budget.reserve(value.length, shared.limit)) {
        giveBack();
        reader.cancel().catch(() => {});
        return tooBusy(shared.limit);
      }
      size += value.length;
      parts.push(value);
    }
  } catch (cause) {
    giveBack();
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
  if (raw.length === 0)
    return routerError("invalid_request", "request body is empty; expected a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(raw));
  } catch (cause) {
    const why =
      cause instanceof TypeError
        ? "request body is not valid UTF-8"
        : `request body is not valid JSON: ${(cause as Error).message}`;
    return routerError("invalid_request", why, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return routerError("invalid_request", "request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Refused before the body was read whole: the connection is closed with the answer. */
function tooLarge(limit: number): RouterError {
  return routerError("request_too_large", `request body exceeds the limit of ${limit} bytes`, {
    closeConnection: true,
  });
}

/** Refused before it was read: the connection is closed with the answer. */
function tooBusy(limit: number): RouterError {
  const mib = (limit / 1024 / 1024).toFixed(1);
  return routerError(
    "overloaded",
    `the router is holding its limit of request bodies (${mib} MiB, server_settings.max_total_body_size); retry shortly`,
    { retryAfter: "1", closeConnection: true },
  );
}
