import type { IRRequest, MediaPart, Message } from "../ir";
import { routerError, type RouterError } from "../ir";

export interface MediaFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export const DEFAULT_MEDIA_FETCH: MediaFetchOptions = { maxBytes: 20 * 1024 * 1024, timeoutMs: 10_000 };

/**
 * Downloads remote media into inline base64 for targets that cannot fetch URLs themselves
 * (Gemini takes only inline data or its own file URIs). Bounded in size and time; a failure is
 * a clear 400 naming the URL, never a silently missing image.
 */
export async function inlineRemoteMedia(req: IRRequest, wants: (part: MediaPart) => boolean, opts: MediaFetchOptions = DEFAULT_MEDIA_FETCH): Promise<RouterError | undefined> {
  const parts = collect(req.messages).filter((p) => p.url && !p.data && /^https?:\/\//i.test(p.url) && wants(p));
  const results = await Promise.all(parts.map((p) => download(p, opts)));
  return results.find((r) => r !== undefined);
}

function collect(messages: Message[]): MediaPart[] {
  const out: MediaPart[] = [];
  for (const m of messages) {
    for (const p of m.parts) {
      if (p.type === "image" || p.type === "file") out.push(p);
      else if (p.type === "tool_result") for (const c of p.content) if (c.type !== "text") out.push(c);
    }
  }
  return out;
}

async function download(part: MediaPart, opts: MediaFetchOptions): Promise<RouterError | undefined> {
  const url = part.url!;
  try {
    const res = await (opts.fetch ?? fetch)(url, { signal: AbortSignal.timeout(opts.timeoutMs), redirect: "follow" });
    if (!res.ok || !res.body) return routerError("invalid_request", `could not download ${url} for the upstream: HTTP ${res.status}`);
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (declared > opts.maxBytes) return tooBig(url, opts.maxBytes);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += chunk.length;
      if (size > opts.maxBytes) return tooBig(url, opts.maxBytes);
      chunks.push(chunk);
    }
    part.data = Buffer.concat(chunks).toString("base64");
    part.mime ??= res.headers.get("content-type")?.split(";")[0]?.trim() || undefined;
    part.url = undefined;
    return undefined;
  } catch (cause) {
    return routerError("invalid_request", `could not download ${url} for the upstream: ${(cause as Error).name === "TimeoutError" ? "timed out" : (cause as Error).message}`, { cause });
  }
}

function tooBig(url: string, max: number): RouterError {
  return routerError("invalid_request", `${url} is larger than ${max} bytes, the limit for media the router downloads`);
}
