import { lookup } from "node:dns/promises";
import {
  allowedByName,
  bareHost,
  parseAddress,
  refusal,
  type AddressPolicy,
} from "./address-guard";

/** Resolves a host name to all its addresses, as getaddrinfo does (so /etc/hosts counts). */
export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: Lookup = (host) => lookup(host, { all: true });

/**
 * Where one download hop connects. The host name is resolved once, here, and the connection goes
 * to the address that was checked: were fetch (or a proxy) to resolve the name again, a DNS
 * answer that changes between the two lookups (DNS rebinding) would reach an address nobody
 * checked. The name still travels where the server needs it: in the Host header, and as the TLS
 * server name, against which the certificate is verified.
 */
export interface Destination {
  /** The URL to fetch: the checked address in place of the host name, the rest unchanged. */
  connectUrl: string;
  /** The URL's own `host[:port]`, for the Host header. */
  host: string;
  /** For https to a name: the name TLS sends and verifies the certificate against. */
  serverName?: string;
}

/** A destination, or why this URL may not be downloaded (for the log, never the client). */
export async function destination(
  url: URL,
  policy: AddressPolicy,
  resolve: Lookup,
  signal: AbortSignal,
): Promise<Destination | string> {
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return `scheme ${url.protocol} is not downloaded`;
  if (url.username !== "" || url.password !== "") return "credentials in a media URL are refused";
  const name = bareHost(url.hostname);
  const direct: Destination = { connectUrl: url.href, host: url.host };
  // A name the config trusts, or an address literal (the URL parser has made it canonical), needs no lookup.
  if (allowedByName(policy, name)) return direct;
  if (parseAddress(name)) {
    const why = refusal(policy, name);
    return why === undefined ? direct : `address not allowed: ${why}`;
  }

  const answers = await untilAborted(resolve(name), signal).catch(
    (err: Error & { code?: string }) => `${name} does not resolve: ${err.code ?? err.message}`,
  );
  if (typeof answers === "string") return answers;
  if (answers.length === 0) return `${name} does not resolve`;
  // Any internal address among the answers refuses the name: public hosts do not publish them.
  for (const a of answers) {
    const why = refusal(policy, a.address);
    if (why !== undefined) return `${name} resolves to an address not allowed: ${why}`;
  }
  const chosen = answers.find((a) => a.family === 4) ?? answers[0]!;
  const pinned = new URL(url.href);
  pinned.hostname = chosen.family === 6 ? `[${chosen.address}]` : chosen.address;
  return {
    connectUrl: pinned.href,
    host: url.host,
    serverName: url.protocol === "https:" ? name : undefined,
  };
}

/** getaddrinfo cannot be cancelled; the download stops waiting for it instead. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
  });
}
