import { BlockList, isIP } from "node:net";

type Env = Record<string, string | undefined>;

interface Rule {
  /** Lower-case hostname, domain or normalised IP; undefined when `block` decides instead. */
  host?: string;
  block?: BlockList;
  port?: number;
}

interface Matcher {
  all: boolean;
  rules: Rule[];
}

/**
 * Whether `NO_PROXY` exempts a URL from proxying. `no_proxy` wins when set and non-empty, as with
 * curl and Bun. Entries are separated by commas or whitespace and compared case-insensitively:
 *
 * - `*` alone: every host;
 * - `example.com`, `.example.com`, `*.example.com`: that domain and all its subdomains;
 * - an IPv4 or IPv6 address (`::1` or `[::1]`): exactly that address;
 * - a CIDR block (`10.0.0.0/8`, `fd00::/8`): any address literal inside it;
 * - any of the above with `:port` (`[::1]:8080` for IPv6): only on that port, where a URL
 *   without a port has its scheme's (80 or 443).
 *
 * Names are never resolved: `localhost` does not cover `127.0.0.1`, nor a CIDR block a name.
 */
export function bypassesProxy(target: URL, env: Env): boolean {
  const raw = env.no_proxy || env.NO_PROXY || "";
  if (raw.trim() === "") return false;
  const matcher = compile(raw);
  if (matcher.all) return true;
  const host = normaliseHost(target.hostname);
  const port = target.port === "" ? (target.protocol === "https:" ? 443 : 80) : Number(target.port);
  const family = isIP(host);
  return matcher.rules.some((rule) => {
    if (rule.port !== undefined && rule.port !== port) return false;
    if (rule.block) return family !== 0 && rule.block.check(host, family === 4 ? "ipv4" : "ipv6");
    if (family !== 0 || isIP(rule.host!) !== 0) return host === rule.host;
    return host === rule.host || host.endsWith(`.${rule.host}`);
  });
}

/** NO_PROXY rarely changes while running, so its last few parses are kept. */
const cache = new Map<string, Matcher>();

function compile(raw: string): Matcher {
  const hit = cache.get(raw);
  if (hit) return hit;
  const entries = raw
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((e) => e !== "");
  const matcher: Matcher = {
    all: entries.includes("*"),
    rules: entries.flatMap((e) => parseEntry(e) ?? []),
  };
  if (cache.size >= 8) cache.clear();
  cache.set(raw, matcher);
  return matcher;
}

function parseEntry(entry: string): Rule | undefined {
  let host = entry;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const hostPort = /^([^:]+):(\d+)$/.exec(entry);
  if (bracketed) [host, port] = [bracketed[1]!, optionalPort(bracketed[2])];
  else if (hostPort) [host, port] = [hostPort[1]!, optionalPort(hostPort[2])];
  if (port !== undefined && !(port > 0 && port < 65536)) return undefined;
  const cidr = /^(.+)\/(\d{1,3})$/.exec(host);
  if (cidr) {
    const family = isIP(cidr[1]!);
    const bits = Number(cidr[2]);
    if (family === 0 || bits > (family === 4 ? 32 : 128)) return undefined;
    const block = new BlockList();
    block.addSubnet(normaliseHost(cidr[1]!), bits, family === 4 ? "ipv4" : "ipv6");
    return { block, port };
  }
  host = normaliseHost(host.replace(/^\*?\./, ""));
  return host === "" ? undefined : { host, port };
}

function optionalPort(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

/** One spelling per host: no brackets or trailing dot, IPv6 in the URL parser's canonical form. */
function normaliseHost(host: string): string {
  const bare = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
  if (isIP(bare) !== 6) return bare;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare;
  }
}
