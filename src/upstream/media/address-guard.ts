import type { MediaSettings } from "../../config/types";

/**
 * Which network addresses media downloads may reach. A client names the URL, so without this
 * check the router would fetch whatever its own network position lets it reach: cloud metadata
 * (169.254.169.254), admin pages on loopback, services on the private network. Only public
 * unicast addresses pass, unless `allow_private` or `allow_hosts` says otherwise.
 *
 * Pure address arithmetic: nothing here resolves names or opens connections.
 */

/** An IPv4 address as 4 bytes or an IPv6 address as 16. */
type Bytes = Uint8Array;

interface Range {
  bytes: Bytes;
  bits: number;
}

/** A range that is not public, and why. */
type KindRule = Range & { kind: string };
/** An IPv6 range that carries an IPv4 address at byte offset `embedsV4`. */
type EmbedRule = Range & { embedsV4: number };

/** Every IPv4 range that is not public unicast; the first match names the kind. */
const V4_RULES: KindRule[] = [
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "shared (CGNAT)"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "reserved"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"],
].map(([cidr, kind]) => ({ ...parseCidr(cidr!)!, kind: kind! }));

/**
 * The IPv6 ranges that are not public unicast, and those that carry an IPv4 address (at the
 * byte offset given), which is then judged as IPv4: `::ffff:127.0.0.1` reaches loopback.
 */
const V6_RULES: (KindRule | EmbedRule)[] = [
  ...[
    ["::/128", "unspecified"],
    ["::1/128", "loopback"],
    ["64:ff9b:1::/48", "private"], // local-use NAT64
    ["100::/64", "reserved"], // discard-only
    ["2001::/32", "reserved"], // Teredo: the client address inside is obfuscated
    ["2001:db8::/32", "documentation"],
    ["fc00::/7", "unique-local"],
    ["fe80::/10", "link-local"],
    ["fec0::/10", "private"], // site-local, deprecated
    ["ff00::/8", "multicast"],
  ].map(([cidr, kind]) => ({ ...parseCidr(cidr!)!, kind: kind! })),
  ...[
    ["::ffff:0:0/96", 12], // IPv4-mapped
    ["::ffff:0:0:0/96", 12], // IPv4-translated (SIIT)
    ["::/96", 12], // IPv4-compatible, deprecated
    ["64:ff9b::/96", 12], // NAT64
    ["2002::/16", 2], // 6to4
  ].map(([cidr, at]) => ({ ...parseCidr(cidr as string)!, embedsV4: at as number })),
];

const V4_MAPPED = parseCidr("::ffff:0:0/96")!;

/** What kind of non-public address `address` is (for the log), or undefined when it is public unicast. */
export function addressKind(address: string): string | undefined {
  const bytes = parseAddress(address);
  if (!bytes) return "not an IP address";
  return kindOf(bytes);
}

function kindOf(bytes: Bytes): string | undefined {
  if (bytes.length === 4) return V4_RULES.find((r) => within(bytes, r))?.kind;
  for (const rule of V6_RULES) {
    if (!within(bytes, rule)) continue;
    if ("kind" in rule) return rule.kind;
    const inner = kindOf(bytes.subarray(rule.embedsV4, rule.embedsV4 + 4));
    return inner === undefined ? undefined : `${inner} (inside IPv6)`;
  }
  return undefined;
}

/** `allow_private` and `allow_hosts`, compiled once per loaded config. */
export interface AddressPolicy {
  allowPrivate: boolean;
  /** Host names allowed by exact match, lower case, without a trailing dot. */
  names: Set<string>;
  /** CIDR ranges (a bare address is a range of one) any resolved address may fall in. */
  ranges: Range[];
}

const policies = new WeakMap<MediaSettings, AddressPolicy>();

export function addressPolicy(settings: MediaSettings): AddressPolicy {
  let policy = policies.get(settings);
  if (!policy) {
    policy = { allowPrivate: settings.allowPrivate, names: new Set(), ranges: [] };
    for (const entry of settings.allowHosts) {
      const range = parseCidr(
        entry.includes("/") ? entry : `${entry}/${entry.includes(":") ? 128 : 32}`,
      );
      if (range) policy.ranges.push(range);
      else policy.names.add(bareHost(entry));
    }
    policies.set(settings, policy);
  }
  return policy;
}

/** A host name the config allows outright: no address check, the name may go to fetch or a proxy as it is. */
export function allowedByName(policy: AddressPolicy, host: string): boolean {
  return policy.names.size > 0 && policy.names.has(bareHost(host));
}

/**
 * Why `address` may not be reached under `policy` (for the log: the address and its kind), or undefined when it may:
 * it is public unicast, or `allow_private` is on, or an `allow_hosts` range holds it.
 */
export function refusal(policy: AddressPolicy, address: string): string | undefined {
  const bytes = parseAddress(address);
  if (!bytes) return `${address} (not an IP address)`;
  const kind = kindOf(bytes);
  if (kind === undefined || policy.allowPrivate) return undefined;
  // `10.1.0.0/16` also admits `::ffff:10.1.2.3`: the same host, written the IPv6 way.
  const mapped = within(bytes, V4_MAPPED) ? bytes.subarray(12) : undefined;
  if (policy.ranges.some((r) => within(bytes, r) || (mapped !== undefined && within(mapped, r))))
    return undefined;
  return `${address} (${kind})`;
}

/** Lower case, without IPv6 brackets or the trailing dot of a fully qualified name. */
export function bareHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
}

function within(bytes: Bytes, range: Range): boolean {
  if (bytes.length !== range.bytes.length) return false;
  const whole = range.bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== range.bytes[i]) return false;
  const rest = range.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[whole]! & mask) === (range.bytes[whole]! & mask);
}

function parseCidr(text: string): Range | undefined {
  const [addr = "", bits = "", extra] = text.split("/");
  const bytes = parseAddress(addr);
  if (!bytes || extra !== undefined || !/^\d{1,3}$/.test(bits) || Number(bits) > bytes.length * 8)
    return undefined;
  return { bytes, bits: Number(bits) };
}

/**
 * Dotted-quad IPv4 or any textual IPv6 form (brackets, `::`, a trailing dotted quad, a zone),
 * as bytes. Only the canonical IPv4 form is an address here: the URL parser has already turned
 * `2130706433`, `0x7f.1` and `0177.0.0.1` into `127.0.0.1`, and getaddrinfo answers canonically.
 */
export function parseAddress(text: string): Bytes | undefined {
  const host = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  return host.includes(":") ? parseV6(host) : parseV4(host);
}

function parseV4(text: string): Bytes | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255))
    return undefined;
  return Uint8Array.from(parts, Number);
}

function parseV6(text: string): Bytes | undefined {
  // A trailing dotted quad fills the last two groups: parse it apart and hold two zeros in its place.
  const last = text.lastIndexOf(":");
  const tail = text.includes(".", last) ? parseV4(text.slice(last + 1)) : undefined;
  if (text.includes(".", last) && !tail) return undefined;
  const body = tail ? `${text.slice(0, last + 1)}0:0` : text;
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const split = (s: string) => (s === "" ? [] : s.split(":"));
  const head = split(halves[0]!);
  const rest = halves.length === 2 ? split(halves[1]!) : [];
  if (halves.length === 2 && head.length + rest.length > 7) return undefined;
  const groups =
    halves.length === 2
      ? [...head, ...Array<string>(8 - head.length - rest.length).fill("0"), ...rest]
      : head;
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 0xff;
  });
  if (tail) bytes.set(tail, 12);
  return bytes;
}
