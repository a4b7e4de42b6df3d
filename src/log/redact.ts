/**
 * The one redaction point: every record is rebuilt here, as plain JSON-safe data, before any sink
 * sees it. Three layers, because each catches what the others cannot: exact known secrets (keys
 * and the router token, wherever they are quoted), values under credential-like names, and
 * credential-shaped text (headers, `?key=`, Bearer) — the last catches keys the router was never
 * told about, such as a wrong token a client presented.
 *
 * What is redacted is values, never the router's wording: a message (`msg`) is the router's own
 * text and only loses exact secrets and credential shapes; a name-based rule (`api_key: …`) there
 * would eat the words after the name ("api_key: unknown key …", "api_key: environment variable …").
 */
import { REDACTED, SecretMask } from "./secrets";

export { REDACTED };

/**
 * Longer strings are cut to this many characters before any rule runs: a log line has no use for
 * a whole body, and every rule's cost is then bounded per string whatever a client sends.
 */
export const MAX_LOGGED_CHARS = 8192;

const SENSITIVE_NAME =
  /^(?:authorization|proxy-authorization|cookie|set-cookie|key|[\w-]*(?:token|secret|password|passwd|api[-_]?key))$/i;

/*
 * Every rule must stay linear in its input: a backtracking engine tries a pattern at each start
 * position, so a pattern that may start anywhere inside a long run and scan to its end is
 * quadratic. Starts are therefore anchored by a lookbehind to the beginning of a run, or on a
 * literal word that cannot repeat inside the run it scans.
 */
type Rule = [RegExp, string];

/** Credentials inside URLs. */
const URL_RULES: Rule[] = [
  // Userinfo in a URL, e.g. a proxy URL with a password. The scheme starts a run of scheme
  // characters: with `\b`, each `.`, `+` or `-` in "a.a.a…" was a new start scanning the rest.
  [/(?<![a-z\d+.-])([a-z][a-z\d+.-]*:\/\/)[^\s/?#@]*@/gi, `$1${REDACTED}@`],
  // Gemini's `?key=` and its cousins, in anything URL-like.
  [
    /([?&;])((?:key|api[-_]?key|token|access[-_]?token|auth|password|secret)=)[^&#\s"'<>]*/gi,
    `$1$2${REDACTED}`,
  ],
];

/** Credentials by their own shape; after the named rule, which handles `authorization: Bearer …` whole. */
const TOKEN_RULES: Rule[] = [
  [/\b(bearer)\s+(?!\[REDACTED\])[\w.~+/=-]+/gi, `$1 ${REDACTED}`],
  // Basic credentials are base64; requiring a digit, capital or padding spares prose like "Basic support".
  [/\b(Basic)\s+(?=[a-z]*[A-Z\d+/=])[A-Za-z\d+/]{8,}={0,2}/g, `$1 ${REDACTED}`],
  // Provider key shapes (OpenAI, Anthropic, Google), for keys nobody configured.
  [/\b(?:sk-[\w-]{20,}|AIza[\w-]{35})/g, REDACTED],
];

/** Header or JSON-ish `name: value` inside free text, e.g. an upstream error quoting the request. */
const NAMED_VALUE =
  /\b(authorization|proxy-authorization|x-api-key|x-goog-api-key|api[-_]?key)(\\?["']?\s*[:=]\s*\\?["']?)(?:(bearer|basic|token)\s+)?(?!\[REDACTED\])([^\s"'\\,;&}\]]+)/gi;
/** A lone word after such a name is prose ("api_key: environment variable …"), not a key. */
const PLAIN_WORD = /^[A-Za-z][a-z]{0,23}$/;

const masked = (name: string, sep: string, scheme: string | undefined) =>
  `${name}${sep}${scheme ? scheme + " " : ""}${REDACTED}`;
/** Quoted (`"x-api-key": "…"`) or assigned (`api_key=…`): a credential's form, never prose's. */
const credentialForm = (sep: string) => /["'=]/.test(sep);
/** In values: a credential's form, or any `name: value` unless the value is a plain word. */
const inValue = (
  m: string,
  name: string,
  sep: string,
  scheme: string | undefined,
  value: string,
) => (scheme || credentialForm(sep) || !PLAIN_WORD.test(value) ? masked(name, sep, scheme) : m);
/** In the router's own messages: only a credential's form; `name: words` there is the router's prose. */
const inMessage = (m: string, name: string, sep: string, scheme: string | undefined) =>
  scheme || credentialForm(sep) ? masked(name, sep, scheme) : m;

// Every rule above needs one of these; most strings have none, and skip the regexes.
const MAY_MATCH = /[=@]|bearer|basic|sk-|aiza|authorization|api[-_]?key/i;

/** Where a cut may fall: after a character that cannot be inside a credential. */
const TOKEN_END = /[\s"'<>()[\]{},;&]/;
/** How far back a cut looks for such a place before cutting a token in two anyway. */
const CUT_BACKTRACK = 256;

/**
 * A string of at most MAX_LOGGED_CHARS, with a marker saying how much was cut. The cut moves back
 * to the end of a token so no credential is left with only its head, which a shape rule needing a
 * minimum length would no longer recognise.
 */
export function clip(s: string): string {
  if (s.length <= MAX_LOGGED_CHARS) return s;
  let end = MAX_LOGGED_CHARS;
  while (end > MAX_LOGGED_CHARS - CUT_BACKTRACK && !TOKEN_END.test(s[end - 1]!)) end--;
  if (end === MAX_LOGGED_CHARS - CUT_BACKTRACK) end = MAX_LOGGED_CHARS;
  return `${s.slice(0, end)}… [${s.length - end} characters cut]`;
}

/**
 * Credential shapes and named credentials masked; linear in `s` (see the rules), so it needs no
 * clip to be safe, only to keep records short.
 */
export function maskShapes(s: string, where: "message" | "value"): string {
  if (!MAY_MATCH.test(s)) return s;
  for (const [re, to] of URL_RULES) s = s.replace(re, to);
  s = s.replace(NAMED_VALUE, where === "value" ? inValue : inMessage);
  for (const [re, to] of TOKEN_RULES) s = s.replace(re, to);
  return s;
}

/** Holds the current secrets; `message`, `text` and `value` are the only ways records leave unredacted code. */
export class Redactor {
  private secrets = new SecretMask();

  constructor(secrets: Iterable<string> = []) {
    this.setSecrets(secrets);
  }

  setSecrets(secrets: Iterable<string>): void {
    this.secrets = new SecretMask(secrets);
  }

  /** A record's `msg`: the router's own wording, so only secrets and credential shapes go. */
  message(s: string): string {
    return this.scrub(s, "message");
  }

  /** A value: secrets, credential shapes, and whatever follows a credential's name. */
  text(s: string): string {
    return this.scrub(s, "value");
  }

  private scrub(s: string, where: "message" | "value"): string {
    // Exact secrets before the cut: the search is native and linear, and a key cut in two could
    // no longer be found. Before the shape rules too: a shape rule stops at the first unusual
    // character and would replace only the front of a key, leaving the rest unrecognisable.
    return maskShapes(clip(this.secrets.text(s)), where);
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
    if (o instanceof ArrayBuffer || ArrayBuffer.isView(o))
      return `[${(o as ArrayBuffer).byteLength} bytes]`;
    seen.add(o);
    try {
      if (Array.isArray(o)) return o.map((x) => this.value(x, depth + 1, seen));
      if (o instanceof Set) return [...o].map((x) => this.value(x, depth + 1, seen));
      if (o instanceof Map || o instanceof Headers)
        return this.entries((o as Map<unknown, unknown>).entries(), depth, seen);
      if (o instanceof Error) return this.entries(errorEntries(o), depth, seen);
      const toJSON = (o as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return this.value(toJSON.call(o), depth + 1, seen);
      return this.entries(Object.entries(o), depth, seen);
    } finally {
      seen.delete(o);
    }
  }

  private entries(
    entries: Iterable<[unknown, unknown]>,
    depth: number,
    seen: WeakSet<object>,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries) {
      const key = this.text(String(k));
      out[key] =
        hidesByName(String(k), depth) && x != null && x !== ""
          ? REDACTED
          : this.value(x, depth + 1, seen);
    }
    return out;
  }
}

/**
 * A record's own top-level `key` is the name of the client's key (the request line says which
 * key asked): router code names that field, and its value still passes every value rule. Deeper
 * down, a `key` may be a query parameter or a field copied from outside: hidden by its name.
 */
function hidesByName(name: string, depth: number): boolean {
  return SENSITIVE_NAME.test(name) && !(depth === 0 && name === "key");
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
