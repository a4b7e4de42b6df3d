import type { RouterConfig } from "../config/types";

const MAX_MESSAGE = 160;
/** Shorter values are too likely to occur in ordinary text to be masked everywhere. */
const MIN_SECRET = 6;
const MASK = "[redacted]";

/**
 * Everything in the config that may be a credential: every model's key (a compat server may
 * echo any of them), and header values set by rewrite_header, which is where keys for custom
 * auth schemes live.
 */
export function secretsOf(config: RouterConfig): string[] {
  const out = new Set<string>();
  for (const m of config.models.values()) {
    if (m.apiKey.length >= MIN_SECRET) out.add(m.apiKey);
    for (const v of Object.values(m.rewriteHeader)) {
      if (v && v.length >= MIN_SECRET) out.add(v.replace(/^bearer\s+/i, ""));
    }
  }
  // Longest first, so a key that contains another is masked whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/** Key shapes of the big providers and the usual ways a credential shows up in a message. */
const PATTERNS: [RegExp, string][] = [
  [/\b(?:sk|rk|pk)-[A-Za-z0-9_-]{12,}/g, MASK],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, MASK],
  [/\b(bearer\s+)[^\s"',;]+/gi, `$1${MASK}`],
  [/([?&](?:key|api_key|api-key|token|access_token)=)[^&\s"']+/gi, `$1${MASK}`],
  [/(\/\/)[^/@\s:]+:[^/@\s]+@/g, `$1${MASK}@`],
];

/**
 * An upstream's error text made fit for a report line: one line, short, no credentials. The
 * codecs prefix `upstream (<api>): `, which the report's api column already says.
 */
export function sanitize(message: string, secrets: readonly string[]): string {
  let s = message.replace(/^upstream \([a-z]+\): /, "");
  for (const secret of secrets) s = s.split(secret).join(MASK);
  for (const [re, to] of PATTERNS) s = s.replace(re, to);
  s = s.replace(/\s+/g, " ").trim();
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s;
}

/** host[:port] only; an unparsable base is shown as "?" rather than risk printing what it holds. */
export function hostOf(apiBase: string): string {
  try {
    return new URL(apiBase).host || "?";
  } catch {
    return "?";
  }
}
