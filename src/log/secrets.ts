/**
 * The config's secrets and the one exact-match masking that the logs, `--check` and the error
 * answers relayed to clients all share. Typed by shape so the log module does not depend on the
 * config module.
 */
export const REDACTED = "[REDACTED]";

/**
 * Shorter values are not masked: one that short occurs in ordinary text ("test", "none"), so
 * masking it would garble logs and answers, and the marks would spell out the value to whoever
 * reads them (every "[REDACTED]" where "abc" used to be) — no protection at all.
 */
export const MIN_SECRET_LENGTH = 6;

interface ModelSecrets {
  apiKey?: string;
  rewriteHeader?: Record<string, string | null>;
  proxy?: string;
}

/**
 * Everything the config holds that may be a credential: each model's api_key, the values that
 * rewrite_header sets (where keys for custom auth schemes live; a scheme word such as `Bearer`
 * is left off), the user and password of each model's proxy, the config's other `secrets` (the
 * keys' plain secrets, the state store's password), and any extra (the router token, the
 * credentials of `--proxy`). Longest first, shorter than MIN_SECRET_LENGTH left out.
 * Call it at startup and again on every reload.
 */
export function configSecrets(
  config: { models: Iterable<[string, ModelSecrets]>; secrets?: Iterable<string> },
  ...extra: (string | undefined)[]
): string[] {
  const out = new Set<string>();
  const add = (s: string | null | undefined) => s && s.length >= MIN_SECRET_LENGTH && out.add(s);
  for (const [, model] of config.models) {
    add(model.apiKey);
    for (const v of Object.values(model.rewriteHeader ?? {}))
      add(v?.replace(/^(?:bearer|basic|token)\s+/i, ""));
    for (const c of proxyCredentials(model.proxy)) add(c);
  }
  for (const s of config.secrets ?? []) add(s);
  for (const s of extra) add(s);
  return [...out].sort((a, b) => b.length - a.length);
}

/** The user and password in a proxy URL, both as written and percent-decoded. */
export function proxyCredentials(url: string | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const raw of [parsed.username, parsed.password]) {
    if (!raw) continue;
    out.push(raw);
    try {
      out.push(decodeURIComponent(raw));
    } catch {
      // Malformed escapes: the raw form is all there is.
    }
  }
  return out;
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A set of exact secrets, compiled once per config load: each secret is looked for as written,
 * JSON-escaped and percent-encoded (the ways an error body or a URL quotes it). A scan is one
 * native substring search per form, so its cost is linear in the text and needs no regex.
 */
export class SecretMask {
  /** Every form of every secret, longest first so a secret containing another goes whole. */
  private readonly forms: string[];
  private readonly formBytes: Buffer[];

  constructor(secrets: Iterable<string | undefined> = []) {
    const forms = new Set<string>();
    for (const s of secrets) {
      if (typeof s !== "string" || s.length < MIN_SECRET_LENGTH) continue;
      forms.add(s);
      forms.add(JSON.stringify(s).slice(1, -1));
      forms.add(encodeURIComponent(s));
    }
    this.forms = [...forms].sort((a, b) => b.length - a.length);
    this.formBytes = this.forms.map((f) => Buffer.from(f));
  }

  get size(): number {
    return this.forms.length;
  }

  /** `text` with every secret replaced by `marker`. */
  text(text: string, marker = REDACTED): string {
    // Repeated because a marker can join its neighbours into a new occurrence; bounded because a
    // secret could itself be part of the marker.
    for (let round = 0; round < 4; round++) {
      let changed = false;
      for (const f of this.forms) {
        if (!text.includes(f)) continue;
        text = text.replaceAll(f, marker);
        changed = true;
      }
      if (!changed) break;
    }
    return text;
  }

  /** Bytes without any secret: the same bytes (no copy, no re-encoding) when none occurs. */
  bytes(bytes: Uint8Array, marker = REDACTED): Uint8Array {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!this.formBytes.some((f) => view.includes(f))) return bytes;
    return encoder.encode(this.text(utf8.decode(bytes), marker));
  }
}
