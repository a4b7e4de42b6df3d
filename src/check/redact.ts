import { SecretMask } from "../log/secrets";

const MAX_MESSAGE = 160;
const MASK = "[redacted]";

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
  // The same exact-secret masking the logs and the answers to clients use (configSecrets collects them).
  s = new SecretMask(secrets).text(s, MASK);
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
