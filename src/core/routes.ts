import type { ApiType } from "../config/types";
import type { Operation } from "../wire";

/** What a request path and method ask for. Decided by path, never by body (protocols.md §0). */
export type Route =
  | { kind: "health" }
  | { kind: "root" }
  | { kind: "models"; format: ApiType; id?: string }
  | {
      kind: "call";
      format: ApiType;
      op: Operation;
      group?: string;
      stream?: boolean;
      sse?: boolean;
    }
  | { kind: "unknown"; format: ApiType; status: 404 | 405 };

const GEMINI_METHODS: Record<string, { op: Operation; stream: boolean }> = {
  generateContent: { op: "generate", stream: false },
  streamGenerateContent: { op: "generate", stream: true },
  countTokens: { op: "countTokens", stream: false },
};

const POST_ROUTES: Record<string, { format: ApiType; op: Operation }> = {
  "/v1/chat/completions": { format: "openai", op: "generate" },
  "/chat/completions": { format: "openai", op: "generate" },
  "/v1/messages": { format: "anthropic", op: "generate" },
  "/v1/messages/count_tokens": { format: "anthropic", op: "countTokens" },
};

export function matchRoute(method: string, url: URL, headers: Headers): Route {
  const path =
    url.pathname.length > 1 && url.pathname.endsWith("/")
      ? url.pathname.slice(0, -1)
      : url.pathname;
  const read = method === "GET" || method === "HEAD";
  if (path === "/health") return read ? { kind: "health" } : unknown(headers, path, 405);
  if (path === "/") return read ? { kind: "root" } : unknown(headers, path, 405);

  const fixed = POST_ROUTES[path];
  if (fixed) return method === "POST" ? { kind: "call", ...fixed } : unknown(headers, path, 405);

  const gemini = /^\/v1(?:beta)?\/models\/(.+)$/.exec(path);
  if (gemini) {
    const rest = safeDecode(gemini[1]!);
    if (rest === undefined) return unknown(headers, path, 404);
    const colon = rest.lastIndexOf(":");
    if (colon > 0) {
      const m = GEMINI_METHODS[rest.slice(colon + 1)];
      if (!m) return unknown(headers, path, 404);
      if (method !== "POST") return unknown(headers, path, 405);
      const group = rest.slice(0, colon).replace(/^models\//, "");
      return {
        kind: "call",
        format: "gemini",
        op: m.op,
        group,
        stream: m.stream,
        sse: url.searchParams.get("alt") === "sse",
      };
    }
    if (!read) return unknown(headers, path, 405);
    return { kind: "models", format: listFormat(path, headers), id: rest.replace(/^models\//, "") };
  }
  if (path === "/v1/models" || path === "/v1beta/models" || path === "/models") {
    return read
      ? { kind: "models", format: listFormat(path, headers) }
      : unknown(headers, path, 405);
  }
  return unknown(headers, path, 404);
}

/**
 * `/v1/models` is OpenAI's, Anthropic's and (since @google/genai 3 defaults to v1) Gemini's path:
 * each client's own headers tell them apart.
 */
function listFormat(path: string, headers: Headers): ApiType {
  if (
    path.startsWith("/v1beta/") ||
    headers.has("x-goog-api-key") ||
    headers.has("x-goog-api-client")
  )
    return "gemini";
  return headers.has("anthropic-version") || headers.has("x-api-key") ? "anthropic" : "openai";
}

/** A malformed %-escape (`%ZZ`, a cut UTF-8 sequence) names nothing we serve: undefined, not a throw. */
function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** For errors on paths we do not serve, answer in the format the caller most likely speaks. */
export function guessFormat(path: string, headers: Headers): ApiType {
  if (path.startsWith("/v1beta/") || headers.has("x-goog-api-key")) return "gemini";
  if (
    path.startsWith("/v1/messages") ||
    headers.has("anthropic-version") ||
    headers.has("x-api-key")
  )
    return "anthropic";
  return "openai";
}

function unknown(headers: Headers, path: string, status: 404 | 405): Route {
  return { kind: "unknown", format: guessFormat(path, headers), status };
}
