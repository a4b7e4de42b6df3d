import { proxyForClientUrl } from "../fetch";
import { fetchOptionsFor, proxyRefusal, type ProxySpec } from "../proxy";
import type { AddressPolicy } from "./address-guard";
import { destination, type Destination, type Lookup } from "./destination";
import { acceptableType, SNIFF_BYTES, sniffMedia } from "./sniff";

/** Redirects one download may follow; each hop is checked like the first. */
const MAX_REDIRECTS = 3;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const ACCEPT = "image/*, application/pdf, audio/*";

export interface DownloadEnv {
  policy: AddressPolicy;
  /** The model's `llm_params.proxy`; `--proxy` and the proxy environment apply as for model calls. */
  proxy: string | undefined;
  lookup: Lookup;
  /** Stops the download: the client went away, the request's download time is up, or another download failed. */
  signal: AbortSignal;
  /** Bytes the request's downloads may still bring in. */
  room(): number;
  /** Counts bytes that arrived; a reason when they do not fit, and the download stops. */
  take(bytes: number): string | undefined;
}

/** The body as base64 with the media type its bytes showed, or why there is none (for the log). */
export type Downloaded = { data: string; mime: string } | { failure: string };

/**
 * One media URL, downloaded by hand: every hop's host is resolved and checked before anything
 * connects, redirects are followed only to http(s) URLs that pass the same check, and the body
 * must be an image, PDF or audio by its type and its first bytes.
 */
export async function download(url: string, env: DownloadEnv): Promise<Downloaded> {
  try {
    return await hops(url, env);
  } catch (cause) {
    // Nothing below is meant to throw; if it does, it is this download's failure, not the request's 500.
    return { failure: `failed: ${describe(cause)}` };
  }
}

async function hops(url: string, env: DownloadEnv): Promise<Downloaded> {
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    return { failure: "not a valid URL" };
  }
  for (let redirects = 0; ; redirects++) {
    if (env.signal.aborted) return { failure: "stopped before it started" };
    const dest = await destination(current, env.policy, env.lookup, env.signal);
    if (typeof dest === "string") return { failure: dest };
    const res = await get(current, dest, env);
    if (typeof res === "string") return { failure: res };
    if (!REDIRECTS.has(res.status)) {
      if (res.ok) return read(res, env);
      discard(res);
      return { failure: `HTTP ${res.status}` };
    }
    discard(res);
    const location = res.headers.get("location");
    if (redirects === MAX_REDIRECTS) return { failure: `more than ${MAX_REDIRECTS} redirects` };
    if (!location) return { failure: `HTTP ${res.status} without a Location` };
    try {
      // Relative to the URL as the client named it, not to the address it was fetched from.
      current = new URL(location, current);
    } catch {
      return { failure: "redirected to an invalid URL" };
    }
  }
}

/**
 * A GET to the checked address, through the proxy a model call would use. Behind a proxy the
 * address still goes in the URL, so the proxy connects where the check said (it does not resolve
 * the name again); NO_PROXY is judged on the name the client gave. Connections are not reused:
 * a pooled one keyed by address could carry another name's request over this name's TLS session.
 */
async function get(url: URL, dest: Destination, env: DownloadEnv): Promise<Response | string> {
  let spec: ProxySpec | undefined;
  try {
    spec = proxyForClientUrl(url.href, env.proxy);
    const { proxy } = await fetchOptionsFor(spec);
    const res = await fetch(dest.connectUrl, {
      headers: { host: dest.host, accept: ACCEPT },
      signal: env.signal,
      redirect: "manual",
      keepalive: false,
      timeout: false,
      proxy,
      tls: dest.serverName === undefined ? undefined : { serverName: dest.serverName },
    });
    const refused = spec ? proxyRefusal(res) : undefined;
    if (refused === undefined) return res;
    discard(res);
    return refused;
  } catch (cause) {
    const where = spec ? ` (through proxy ${spec.display})` : "";
    return (proxyRefusal(cause) ?? describe(cause)) + where;
  }
}

async function read(res: Response, env: DownloadEnv): Promise<Downloaded> {
  const type = res.headers.get("content-type");
  if (!acceptableType(type)) {
    discard(res);
    return {
      failure: `Content-Type ${JSON.stringify(type?.slice(0, 60))} is not an image, PDF or audio type`,
    };
  }
  // A declared length says something only for a body that is not inflated on the way in.
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > env.room() && !res.headers.has("content-encoding")) {
    discard(res);
    return {
      failure: `declares ${declared} bytes, more than the ${env.room()} left of the request's max_bytes`,
    };
  }
  if (!res.body) return { failure: "no body" };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let mime: string | undefined;
  const stop = (failure: string): Downloaded => {
    reader.cancel().catch(() => {});
    return { failure };
  };
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      const over = env.take(r.value.length);
      if (over !== undefined) return stop(over);
      chunks.push(r.value);
      size += r.value.length;
      // Judged on the first bytes: an HTML page is dropped before the rest of it arrives.
      if (mime === undefined && size >= SNIFF_BYTES) {
        mime = sniffMedia(firstBytes(chunks, size), type);
        if (mime === undefined) return stop(notMedia(type));
      }
    }
  } catch (cause) {
    return { failure: `broke off: ${describe(cause)}` };
  }
  const body = Buffer.concat(chunks, size);
  mime ??= sniffMedia(body, type);
  if (mime === undefined) return { failure: notMedia(type) };
  return { data: body.toString("base64"), mime };
}

function firstBytes(chunks: Uint8Array[], size: number): Uint8Array {
  const first = chunks[0]!;
  return first.length >= SNIFF_BYTES
    ? first.subarray(0, SNIFF_BYTES)
    : Buffer.concat(chunks, size).subarray(0, SNIFF_BYTES);
}

function notMedia(type: string | null): string {
  return `the bytes are not an image, PDF or audio file (served as ${JSON.stringify(type?.slice(0, 60) ?? null)})`;
}

/** Frees the connection of an answer whose body is not wanted. */
function discard(res: Response): void {
  res.body?.cancel().catch(() => {});
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return (cause as Error & { code?: string }).code ?? cause.message;
  return String(cause);
}
