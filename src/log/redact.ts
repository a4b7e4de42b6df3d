/**
 * The one redaction point: every record is rebuilt here, as plain JSON-safe data, before any sink
 * sees it. Three layers, because each catches what the others cannot: exact known secrets (keys
 * and the router token, wherever they are quoted), values under credential-like names, and
 * credential-shaped text (headers, `?key=`, Bearer) — the last catches keys the router was never
 * told about, such as a wrong token a client presented.
 */
export const REDACTED = "[REDACTED]";

const SENSITIVE_NAME = /^(?:authorization|proxy-authorization|cookie|set-cookie|key|[\w-]*(?:token|secret|password|passwd|api[-_]?key))$/i;

const TEXT_RULES: [RegExp, string | ((...m: string[]) => string)][] = [
  // Userinfo in a URL, e.g. a proxy URL with a password.
  [/\b([a-z][a-z\d+.-]*:\/\/)[^\s/?#@]*@/gi, `$1${REDACTED}@`],
  // Gemini's `?key=` and its cousins, in anything URL-like.
  [/([?&;])((?:key|api[-_]?key|token|access[-_]?token|auth|password|secret)=)[^&#\s"'<>]*/gi, `$1$2${REDACTED}`],
  // Header or JSON-ish `name: value` inside free text, e.g. an upstream error quoting the request.
  [
    /\b(authorization|proxy-authorization|x-api-key|x-goog-api-key|api[-_]?key)(\\?["']?\s*[:=]\s*\\?["']?)(?:(bearer|basic|token)\s+)?(?!\[REDACTED\])[^\s"'\\,;&}\]]+/gi,
    (_m, name, sep, scheme) => `${name}${sep}${scheme ? scheme + " " : ""}${REDACTED}`,
  ],
  [/\b(bearer)\s+(?!\[REDACTED\])[\w.~+/=-]+/gi, `$1 ${REDACTED}`],
  // Basic credentials are base64; requiring a digit, capital or padding spares prose like "Basic support".
  [/\b(Basic)\s+(?=[a-z]*[A-Z\d+/=])[A-Za-z\d+/]{8,}={0,2}/g, `$1 ${REDACTED}`],
  // Provider key shapes (OpenAI, Anthropic, Google), for keys nobody configured.
  [/\b(?:sk-[\w-]{20,}|AIza[\w-]{35})/g, REDACTED],
];

// Every rule above needs one of these; most strings have none, and skip six regexes for one.
const MAY_MATCH = /[=@]|bearer|basic|sk-|aiza|authorization|api[-_]?key/i;

/** Holds the current secrets; `text` and `value` are the only ways records leave unredacted code. */
export class Redactor {
  private exact: RegExp | null = null;

  constructor(secrets: Iterable<string> = []) {
    this.setSecrets(secrets);
  }

  setSecrets(secrets: Iterable<string>): void {
    const all = new Set<string>();
    for (const s of secrets) {
      if (typeof s !== "string" || s === "") continue;
      all.add(s);
      // A key can reach a log inside a URL, percent-encoded.
      const encoded = encodeURIComponent(s);
      if (encoded !== s) all.add(encoded);
    }
    // Longest first, so a secret that contains another is replaced whole, not in pieces.
    const sorted = [...all].sort((a, b) => b.length - a.length);
    this.exact = sorted.length ? new RegExp(sorted.map(escapeRegExp).join("|"), "g") : null;
  }

  text(s: string): string {
    // Known secrets first: a pattern rule stops at the first unusual character and would otherwise
    // replace only the front of a key, leaving the rest where the exact pass can no longer find it.
    if (this.exact) {
      // Repeated because a replacement can join its neighbours into a new occurrence; bounded in case
      // a secret is itself part of the marker.
      for (let i = 0; i < 4; i++) {
        const next = s.replace(this.exact, REDACTED);
        if (next === s) break;
        s = next;
      }
    }
    if (MAY_MATCH.test(s)) for (const [re, to] of TEXT_RULES) s = s.replace(re, to as string);
    return s;
  }

  /** A JSON-safe, redacted copy of any value a caller might log. */
  value(v: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
    switch (typeof v) {
      case "string":
        return this.text(v);
      case "number":
      case "boolean":
      case "undefined":
        return v;
      case "bigint":
        return v.toString();
      case "symbol":
      case "function":
        return this.text(String(v));
    }
    if (v === null) return null;
    const o = v as object;
    if (seen.has(o)) return "[Circular]";
    if (depth >= 8) return "[…]";
    if (o instanceof Date) return Number.isNaN(o.getTime()) ? "Invalid Date" : o.toISOString();
    if (o instanceof URL) return this.text(o.href);
    // Raw bytes could hold anything (a whole request with its headers); only their size is logged.
    if (o instanceof ArrayBuffer || ArrayBuffer.isView(o)) return `[${(o as ArrayBuffer).byteLength} bytes]`;
    seen.add(o);
    try {
      if (Array.isArray(o)) return o.map((x) => this.value(x, depth + 1, seen));
      if (o instanceof Set) return [...o].map((x) => this.value(x, depth + 1, seen));
      if (o instanceof Map || o instanceof Headers) return this.entries((o as Map<unknown, unknown>).entries(), depth, seen);
      if (o instanceof Error) return this.entries(errorEntries(o), depth, seen);
      const toJSON = (o as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return this.value(toJSON.call(o), depth + 1, seen);
      return this.entries(Object.entries(o), depth, seen);
    } finally {
      seen.delete(o);
    }
  }

  private entries(entries: Iterable<[unknown, unknown]>, depth: number, seen: WeakSet<object>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries) {
      const key = this.text(String(k));
      out[key] = SENSITIVE_NAME.test(String(k)) && x != null && x !== "" ? REDACTED : this.value(x, depth + 1, seen);
    }
    return out;
  }
}

function errorEntries(e: Error): [string, unknown][] {
  const out: [string, unknown][] = [
    ["name", e.name],
    ["message", e.message],
  ];
  for (const [k, x] of Object.entries(e)) if (k !== "name" && k !== "message") out.push([k, x]);
  if (e.stack) out.push(["stack", e.stack]);
  if (e.cause !== undefined) out.push(["cause", e.cause]);
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
