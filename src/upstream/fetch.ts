import { routerError, type RouterError } from "../ir/error";
import type { Deadlines } from "./deadlines";
import { fetchOptionsFor, proxyEnvNow, proxyFor, proxyRefusal, type ProxySpec } from "./proxy";

export interface UpstreamRequest {
  url: string;
  headers: Headers;
  body: Uint8Array | string;
  signal: AbortSignal;
  /** The model's `llm_params.proxy`; beats `--proxy`. */
  proxy?: string;
  /** Set when the call has time limits: their signal is used, and an expiry names the limit. */
  deadlines?: Deadlines;
}

const DIRECT = { proxy: false } as const;

/** `--proxy`, set once at startup; the environment's proxy variables apply when neither is set. */
let globalProxy: string | undefined;

/**
 * The proxy environment is read at startup, like curl does per run: reading process.env on every
 * call was measurable per-request work. Decisions are kept per upstream URL and model proxy.
 */
let proxyEnv = proxyEnvNow();
const decisions = new Map<string, ProxySpec | Error | undefined>();

/** Sets `--proxy` and reads the proxy environment afresh. */
export function setGlobalProxy(url: string | undefined): void {
  globalProxy = url;
  proxyEnv = proxyEnvNow();
  decisions.clear();
}

function proxyDecision(url: string, modelProxy: string | undefined): ProxySpec | undefined {
  const key = modelProxy === undefined ? url : `${modelProxy}\u0000${url}`;
  let decision = decisions.get(key);
  if (decision === undefined && !decisions.has(key)) {
    try {
      decision = proxyFor(url, modelProxy, globalProxy, proxyEnv);
    } catch (err) {
      decision = err as Error;
    }
    if (decisions.size >= 1024) decisions.clear(); // URLs come from the config; reloads may change them
    decisions.set(key, decision);
  }
  if (decision instanceof Error) throw decision;
  return decision;
}

/**
 * The proxy callUpstream would use for `url`, decided afresh each time: for URLs that clients
 * choose (media downloads), which must not crowd the per-upstream decisions out of their cache.
 */
export function proxyForClientUrl(
  url: string,
  modelProxy: string | undefined,
): ProxySpec | undefined {
  return proxyFor(url, modelProxy, globalProxy, proxyEnv);
}

/**
 * One HTTP call to an upstream. Bun's fetch has its own ~300 s inactivity limit that no
 * AbortSignal overrides (oven-sh/bun#16682); `timeout: false` turns it off so the client's
 * signal (and, later, our own timeouts) are the only ones that apply. Redirects are not
 * followed: an API answering with one is misconfigured, and following it could carry keys elsewhere.
 */
export async function callUpstream(req: UpstreamRequest): Promise<Response | RouterError> {
  let spec: ProxySpec | undefined;
  try {
    spec = proxyDecision(req.url, req.proxy);
    // A direct call (the common case) skips the await: it costs a turn of the microtask queue.
    const { proxy } = spec === undefined ? DIRECT : await fetchOptionsFor(spec);
    const res = await fetch(req.url, {
      method: "POST",
      headers: req.headers,
      body: req.body,
      signal: req.deadlines?.signal ?? req.signal,
      redirect: "manual",
      timeout: false,
      proxy,
    });
    req.deadlines?.headers();
    const refused = spec ? proxyRefusal(res) : undefined;
    if (refused === undefined) return res;
    void res.body?.cancel();
    return routerError("bad_gateway", refused);
  } catch (cause) {
    if (req.deadlines?.expired) return req.deadlines.expired;
    if (req.signal.aborted)
      return routerError("invalid_request", "client closed the request", { status: 499, cause });
    // Behind a proxy fetch connects only to the proxy, so a connection error is the proxy's.
    // The host is named: a first request that fails here is most often a wrong api_base.
    const where = spec
      ? `proxy ${spec.display} unreachable`
      : `upstream ${hostOf(req.url)} unreachable`;
    return routerError("bad_gateway", proxyRefusal(cause) ?? `${where}: ${describe(cause)}`, {
      cause,
    });
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid URL)";
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return (cause as Error & { code?: string }).code ?? cause.message;
  return String(cause);
}
