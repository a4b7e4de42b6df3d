import { startSocksBridge, type SocksBridge } from "./bridge";
import { BRIDGE_ERROR_HEADER } from "./http-head";
import { bypassesProxy } from "./no-proxy";
import { authority, parseProxyUrl, type ProxySpec } from "../../config/proxy-spec";

export { bypassesProxy } from "./no-proxy";
export { parseProxyUrl, type ProxySpec } from "../../config/proxy-spec";

type Env = Record<string, string | undefined>;

/**
 * The proxy for one upstream call, or undefined for a direct connection. The first one named
 * wins: the model's `proxy`, then `--proxy`, then the environment as curl reads it (`https_proxy`
 * or `http_proxy` by the target's scheme, then `all_proxy`; lower case before upper case).
 * `NO_PROXY` then applies to whichever was chosen (see bypassesProxy). An unusable value throws,
 * with any credentials masked; validate configured values with parseProxyUrl at startup.
 */
export function proxyFor(
  targetUrl: string,
  modelProxy: string | undefined,
  globalProxy: string | undefined,
  env: Env,
): ProxySpec | undefined {
  const target = new URL(targetUrl);
  const chosen = nonEmpty(modelProxy) ?? nonEmpty(globalProxy) ?? envProxy(target, env);
  if (chosen === undefined || bypassesProxy(target, env)) return undefined;
  return parsed(chosen);
}

/** The environment variables that name a proxy, as curl reads them. */
export const PROXY_URL_VARIABLES: readonly string[] = [
  "https_proxy",
  "HTTPS_PROXY",
  "http_proxy",
  "HTTP_PROXY",
  "all_proxy",
  "ALL_PROXY",
];

/** Every variable proxyFor reads, with its value now: what proxyFor needs as its `env`. */
export function proxyEnvNow(env: Env = process.env): Env {
  return Object.fromEntries(
    [...PROXY_URL_VARIABLES, "no_proxy", "NO_PROXY"].map((name) => [name, env[name]]),
  );
}

/** Every proxy environment variable that is set but unusable, as messages without credentials. */
export function proxyEnvProblems(env: Env): string[] {
  return PROXY_URL_VARIABLES.flatMap((name) => {
    const value = nonEmpty(env[name]);
    const spec = value === undefined ? undefined : parseProxyUrl(value);
    return spec instanceof Error ? [`${name}: ${spec.message}`] : [];
  });
}

/**
 * What to spread into Bun's fetch() for a spec from proxyFor. Always sets `proxy`: `false` for
 * a direct call, so that Bun does not apply the proxy environment a second time by its own
 * rules, and `respectNoProxy: false` because proxyFor has already applied NO_PROXY. Credentials
 * travel in a Proxy-Authorization header, never in a URL that an error message could quote.
 * A SOCKS spec starts its bridge on first use; concurrent first calls share that start.
 */
export async function fetchOptionsFor(
  spec: ProxySpec | undefined,
): Promise<{ proxy: Bun.FetchProxyOption }> {
  if (spec === undefined) return { proxy: false };
  if (spec.kind === "http" || spec.kind === "https") {
    const auth =
      spec.username === undefined ? undefined : basic(spec.username, spec.password ?? "");
    const headers = auth === undefined ? undefined : { "Proxy-Authorization": auth };
    return {
      proxy: {
        url: `${spec.kind}://${authority(spec.host, spec.port)}`,
        headers,
        respectNoProxy: false,
      },
    };
  }
  const bridge = await bridgeFor(spec);
  return {
    proxy: {
      url: bridge.url,
      headers: { "Proxy-Authorization": bridge.authorization },
      respectNoProxy: false,
    },
  };
}

/**
 * The proxy's own refusal as a message safe to show, or undefined when `outcome` (what fetch
 * returned or threw) came from the upstream. fetch rejects a refused CONNECT (https upstreams)
 * with ERR_PROXY_TUNNEL, but hands back a refused plain-HTTP request as a response: a 407, or
 * the SOCKS bridge's own answer.
 */
export function proxyRefusal(outcome: unknown): string | undefined {
  if (outcome instanceof Response) {
    const fromBridge = outcome.headers.get(BRIDGE_ERROR_HEADER);
    if (fromBridge) return `proxy error: ${fromBridge}`;
    return outcome.status === 407 ? "proxy error: 407 Proxy Authentication Required" : undefined;
  }
  const err = outcome as { code?: unknown; status?: unknown; statusText?: unknown } | undefined;
  if (err?.code !== "ERR_PROXY_TUNNEL") return undefined;
  return `proxy refused the tunnel: ${err.status} ${err.statusText}`;
}

/** Stops every SOCKS bridge and cuts the tunnels still open; a later call starts afresh. */
export async function closeProxies(): Promise<void> {
  const starting = [...bridges.values()];
  bridges.clear();
  const started = await Promise.allSettled(starting);
  await Promise.all(started.map((r) => (r.status === "fulfilled" ? r.value.close() : undefined)));
}

/** One bridge per distinct SOCKS proxy: fetch pools proxy connections by proxy URL alone. */
const bridges = new Map<string, Promise<SocksBridge>>();

function bridgeFor(spec: ProxySpec): Promise<SocksBridge> {
  const key = JSON.stringify([spec.kind, spec.host, spec.port, spec.username, spec.password]);
  let bridge = bridges.get(key);
  if (!bridge) {
    bridge = startSocksBridge(spec);
    bridges.set(key, bridge);
    // A failed start is not remembered, so the next request tries again.
    bridge.catch(() => bridges.get(key) === bridge && bridges.delete(key));
  }
  return bridge;
}

const specs = new Map<string, ProxySpec>();

function parsed(url: string): ProxySpec {
  let spec = specs.get(url);
  if (!spec) {
    const result = parseProxyUrl(url);
    if (result instanceof Error) throw result;
    if (specs.size >= 64) specs.clear();
    specs.set(url, (spec = result));
  }
  return spec;
}

function envProxy(target: URL, env: Env): string | undefined {
  const scheme = target.protocol === "https:" ? "https" : "http";
  return (
    nonEmpty(env[`${scheme}_proxy`]) ??
    nonEmpty(env[`${scheme.toUpperCase()}_PROXY`]) ??
    nonEmpty(env.all_proxy) ??
    nonEmpty(env.ALL_PROXY)
  );
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === "" ? undefined : s;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}
