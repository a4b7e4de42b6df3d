/**
 * `server_settings` of the raw document → ServerSettings: sizes with units, the body budget's
 * default from the memory this process may use, and the media download rules.
 */
import { isIP } from "node:net";
import { totalmem } from "node:os";
import { MEDIA_DEFAULTS, SERVER_DEFAULTS } from "./defaults";
import type { Reporter } from "./reporter";
import { list, mapping, type Mapping } from "./shape";
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MEDIA,
  DEFAULT_STREAM_KEEPALIVE_MS,
  type MediaSettings,
  type ServerSettings,
} from "./types";
import { secondsToMs, sizeInBytes } from "./units";

export function serverSettings(r: Reporter, raw: Mapping): ServerSettings {
  const maxBodyBytes = bodySize(r, "max_body_size", raw.max_body_size) ?? DEFAULT_MAX_BODY_BYTES;
  const bodyTimeout = raw.body_timeout;
  return {
    maxBodyBytes,
    maxTotalBodyBytes: totalBodySize(r, raw.max_total_body_size, maxBodyBytes),
    metricsPublic: flag(raw.metrics_public, SERVER_DEFAULTS.metrics_public),
    bodyTimeoutMs:
      typeof bodyTimeout === "number" && bodyTimeout > 0
        ? secondsToMs(bodyTimeout)
        : DEFAULT_BODY_TIMEOUT_MS,
    maxResponseBytes:
      bodySize(r, "max_response_size", raw.max_response_size) ?? DEFAULT_MAX_RESPONSE_BYTES,
    streamKeepAliveMs:
      typeof raw.stream_keepalive === "number" && raw.stream_keepalive >= 0
        ? secondsToMs(raw.stream_keepalive)
        : DEFAULT_STREAM_KEEPALIVE_MS,
    media: mediaSettings(r, mapping(raw.media)),
  };
}

function mediaSettings(r: Reporter, raw: Mapping): MediaSettings {
  const at = "/server_settings/media";
  const allowHosts: string[] = [];
  list(raw.allow_hosts).forEach((h, i) => {
    if (typeof h !== "string") return;
    const host = h.trim().toLowerCase();
    if (host.includes("/") && !isCidr(host))
      r.error(
        "INVALID_VALUE",
        `${at}/allow_hosts/${i}`,
        `allow_hosts entry ${JSON.stringify(h)} is neither a host name nor a CIDR range such as 10.0.0.0/8`,
      );
    else allowHosts.push(host);
  });
  return {
    download: flag(raw.download, MEDIA_DEFAULTS.download),
    allowPrivate: flag(raw.allow_private, MEDIA_DEFAULTS.allow_private),
    allowHosts,
    maxUrls:
      typeof raw.max_urls === "number" && Number.isInteger(raw.max_urls) && raw.max_urls >= 0
        ? raw.max_urls
        : DEFAULT_MEDIA.maxUrls,
    maxBytes: bodySize(r, "media/max_bytes", raw.max_bytes) ?? DEFAULT_MEDIA.maxBytes,
    timeoutMs:
      typeof raw.timeout === "number" && raw.timeout > 0
        ? secondsToMs(raw.timeout)
        : DEFAULT_MEDIA.timeoutMs,
  };
}

/** A boolean setting; anything else (already reported by the schema) counts as unset. */
function flag(value: unknown, dflt: boolean): boolean {
  return typeof value === "boolean" ? value : dflt;
}

/** `a.b.c.d/n` or an IPv6 address with `/n`; the address itself is checked by net.isIP. */
function isCidr(text: string): boolean {
  const [addr, bits, extra] = text.split("/");
  if (extra !== undefined || !addr || !bits || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(addr);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}

/** A size setting in bytes; undefined when it is not set (or not a size, which the schema reported). */
function bodySize(r: Reporter, key: string, value: unknown): number | undefined {
  const at = `/server_settings/${key}`;
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const bytes = sizeInBytes(value);
  // The schema pattern has already rejected what is not a size, so only the range remains.
  if (bytes === undefined) return undefined;
  if (bytes < 1 || !Number.isSafeInteger(bytes)) {
    const range = `at least 1 byte and at most ${Number.MAX_SAFE_INTEGER}`;
    r.error("INVALID_VALUE", at, `${key} must be ${range}, got ${r.quote(at, value)}`);
  }
  return bytes;
}

/** An eighth of the memory this process may use: its cgroup's limit when it has one, else the machine's. */
function defaultTotalBodyBytes(): number {
  const machine = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return Math.floor((constrained > 0 && constrained < machine ? constrained : machine) / 8);
}

function totalBodySize(r: Reporter, value: unknown, maxBodyBytes: number): number {
  const set = bodySize(r, "max_total_body_size", value);
  if (set === undefined) return Math.max(maxBodyBytes, defaultTotalBodyBytes());
  // Below one body's limit, a body the router accepts could never be read. (A size that is not
  // one at all was reported by the schema.)
  if (Number.isSafeInteger(set) && set >= 1 && set < maxBodyBytes)
    r.error(
      "INVALID_VALUE",
      "/server_settings/max_total_body_size",
      `max_total_body_size (${set} bytes) must be at least max_body_size (${maxBodyBytes} bytes)`,
    );
  return set;
}
