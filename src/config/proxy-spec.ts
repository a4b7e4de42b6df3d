/**
 * Proxy URLs: parsed and described here, connected to by upstream/proxy. The parser lives with the
 * config because the loader validates every model's `proxy` with it at startup, and the config
 * must not reach into the transport to do so.
 */

/** A validated proxy: what `--proxy`, a model's `proxy` or a proxy environment variable named. */
export interface ProxySpec {
  kind: "http" | "https" | "socks5" | "socks5h";
  /** Hostname or IP literal; IPv6 without brackets. */
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** The URL with any credentials masked: the only form of it that may be logged or shown. */
  display: string;
}

const DEFAULT_PORT: Record<ProxySpec["kind"], number> = {
  http: 80,
  https: 443,
  socks5: 1080,
  socks5h: 1080,
};

/** RFC 1929 sends each of the SOCKS username and password with a one-byte length. */
const SOCKS_CREDENTIAL_MAX = 255;

/**
 * Parses a proxy URL such as `socks5h://user:pass@host:1080` or `http://proxy:3128`.
 * Credentials are percent-decoded (write `@` as `%40`). The port defaults to 80 for http,
 * 443 for https and 1080 for SOCKS. A path, query or fragment is refused rather than ignored,
 * because it usually means an upstream URL was pasted where the proxy belongs.
 */
export function parseProxyUrl(s: string): ProxySpec | Error {
  const shown = redactUrl(s);
  let url: URL;
  try {
    url = new URL(s.trim());
  } catch {
    return new Error(`invalid proxy URL "${shown}"`);
  }
  const kind = url.protocol.slice(0, -1) as ProxySpec["kind"];
  if (!(kind in DEFAULT_PORT)) {
    return new Error(
      `invalid proxy URL "${shown}": the scheme must be http, https, socks5 or socks5h`,
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") return new Error(`invalid proxy URL "${shown}": no host`);
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    return new Error(`invalid proxy URL "${shown}": a proxy URL has no path, query or fragment`);
  }
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = url.username === "" ? undefined : decodeURIComponent(url.username);
    password = url.password === "" ? undefined : decodeURIComponent(url.password);
  } catch {
    return new Error(`invalid proxy URL "${shown}": malformed percent-encoding in the credentials`);
  }
  if (password !== undefined && username === undefined) {
    return new Error(`invalid proxy URL "${shown}": a password needs a username`);
  }
  if (kind.startsWith("socks")) {
    const tooLong = [username, password].some(
      (c) => c !== undefined && Buffer.byteLength(c) > SOCKS_CREDENTIAL_MAX,
    );
    if (tooLong)
      return new Error(
        `invalid proxy URL "${shown}": SOCKS credentials are limited to 255 bytes each`,
      );
  }
  const port = url.port === "" ? DEFAULT_PORT[kind] : Number(url.port);
  const auth = username === undefined ? "" : "***@";
  return {
    kind,
    host,
    port,
    username,
    password,
    display: `${kind}://${auth}${authority(host, port)}`,
  };
}

/**
 * Masks `user:pass@` in anything URL-like, parseable or not, so that even a malformed value can
 * be echoed in an error. The last `@` before the path ends the userinfo, as in WHATWG URL parsing.
 */
export function redactUrl(s: string): string {
  return s.replace(/^(\s*(?:[a-z][a-z0-9+.-]*:\/\/)?)[^/?#]*@/i, "$1***@");
}

/** `host:port` as it appears in a URL authority or a CONNECT line. */
export function authority(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
