/**
 * One entry of `keys:` (or of a keys_file) → KeyConfig, with the checks its schema cannot make:
 * the secret's form (hashed here; the plain secret never reaches KeyConfig, and no message
 * quotes it), the reserved name, and the expiry date.
 */
import { createHash } from "node:crypto";
import type { Reporter } from "./reporter";
import { isMapping, list, mapping, type Mapping } from "./shape";
import { BUDGET_PERIODS, type BudgetPeriod, type KeyConfig } from "./types";

/** Shorter plain secrets are accepted, with a warning: whoever can reach the port could guess them. */
const MIN_KEY_SECRET_LENGTH = 16;
const DIGEST_PREFIX = "sha256:";
/** The name under which the router token (-t) appears in logs, metrics and /v1/usage. */
const RESERVED_NAME = "admin";

export interface KeyEntryResult {
  /** Undefined when the name or the secret cannot be used (already reported). */
  key?: KeyConfig;
  /** The plain secret, when the entry gives one: for log masking only. */
  plain?: string;
}

export function keyEntry(r: Reporter, entry: Mapping, at: string): KeyEntryResult {
  const name = typeof entry.name === "string" ? entry.name : "";
  if (name === RESERVED_NAME)
    r.error(
      "INVALID_VALUE",
      `${at}/name`,
      `the key name "${RESERVED_NAME}" is reserved for the router token (-t); choose another`,
    );
  const secret = secretOf(r, entry.secret, `${at}/secret`, name);
  if (!name || name === RESERVED_NAME || !secret) return { plain: secret?.plain };

  const key: KeyConfig = { name, digest: secret.digest, pos: r.pos(at) };
  if (r.file) key.file = r.file;
  if (Array.isArray(entry.groups))
    key.groups = list(entry.groups).filter((g): g is string => typeof g === "string" && g !== "");
  const rpm = positiveInteger(entry.rpm);
  if (rpm !== undefined) key.rpm = rpm;
  const tpm = positiveInteger(entry.tpm);
  if (tpm !== undefined) key.tpm = tpm;
  const maxParallel = positiveInteger(entry.max_parallel);
  if (maxParallel !== undefined) key.maxParallel = maxParallel;
  const budget = mapping(entry.budget);
  if (
    typeof budget.usd === "number" &&
    budget.usd > 0 &&
    BUDGET_PERIODS.includes(budget.period as BudgetPeriod)
  )
    key.budget = { usd: budget.usd, period: budget.period as BudgetPeriod };
  if (typeof entry.expires === "string") {
    const expiresAt = parseExpiry(entry.expires);
    if (expiresAt === undefined)
      r.error(
        "INVALID_VALUE",
        `${at}/expires`,
        `expires must be a date such as 2026-12-31 or an ISO date-time such as 2026-12-31T18:00:00Z, got ${r.quote(`${at}/expires`, entry.expires)}`,
      );
    else key.expiresAt = expiresAt;
  }
  if (isMapping(entry.metadata)) key.metadata = metadataOf(entry.metadata);
  return { key, plain: secret.plain };
}

interface Secret {
  digest: string;
  plain?: string;
}

/** The secret's sha256 digest (lower-case hex); undefined when the secret cannot be used. */
function secretOf(r: Reporter, value: unknown, at: string, name: string): Secret | undefined {
  if (typeof value !== "string") return undefined;
  const whose = name ? `key "${name}": ` : "";
  if (value === "") {
    // An empty secret would be matched by a request presenting an empty key.
    r.error(
      "INVALID_VALUE",
      at,
      `${whose}the secret is empty (is its \${VAR} unset?); an empty secret cannot be used`,
    );
    return undefined;
  }
  if (value.startsWith(DIGEST_PREFIX)) {
    const hex = value.slice(DIGEST_PREFIX.length);
    if (/^[0-9a-f]{64}$/i.test(hex)) return { digest: hex.toLowerCase() };
    r.error(
      "INVALID_VALUE",
      at,
      `${whose}a secret in ${DIGEST_PREFIX} form needs exactly 64 hex digits after "${DIGEST_PREFIX}" (as \`llm-router keys hash\` prints), got ${describeDigest(hex)}`,
    );
    return undefined;
  }
  if (value.length < MIN_KEY_SECRET_LENGTH)
    r.warn(
      "INVALID_VALUE",
      at,
      `${whose}the secret is ${value.length} characters long; use at least ${MIN_KEY_SECRET_LENGTH} random characters (generate one with \`llm-router keys new\`)`,
    );
  return { digest: keyDigest(value), plain: value };
}

/** Says what is wrong with a malformed digest without quoting it: it may be a secret pasted wrongly. */
function describeDigest(hex: string): string {
  if (/^[0-9a-f]*$/i.test(hex)) return `${hex.length} hex digits`;
  return `${hex.length} characters, some of them not hex digits`;
}

/** How a key's secret is kept and looked up: its sha256, lower-case hex. */
function keyDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The `sha256:<hex>` form of a plain secret, which a config may hold in its place. */
export function hashedSecret(plain: string): string {
  return DIGEST_PREFIX + keyDigest(plain);
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 ? value : undefined;
}

function metadataOf(raw: Mapping): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw))
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      out[k] = String(v);
  return out;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Unix ms of a date (00:00 UTC that day) or an ISO date-time (UTC unless it carries an offset: a
 * key's expiry must not depend on the time zone of the machine that loads it); undefined when the
 * text is neither, or names a day or time that does not exist (2026-02-30, 24:00).
 */
function parseExpiry(text: string): number | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((p) => (p ? Number(p) : undefined));
  const ms = Date.UTC(y!, mo! - 1, d!, h, mi, s) + Math.floor(Number(m[7] ?? 0) * 1000);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d)
    return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return ms - offsetMinutes(m[8]) * 60_000;
}

function offsetMinutes(offset: string | undefined): number {
  if (!offset || offset === "Z" || offset === "z") return 0;
  const digits = offset.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  return offset[0] === "-" ? -minutes : minutes;
}
