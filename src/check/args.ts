import { CHECK_KINDS, DEFAULT_TIMEOUT_MS, type CheckKind } from "./types";

/**
 * Command-line helpers for `--check`. citty reads `--check=stream,tools` as a plain `true` for a
 * boolean flag, and as a string flag it would swallow the next argument (`--check -c x`), so the
 * flag stays boolean for citty and its value is read from the raw arguments here. Each throws
 * an Error whose message is ready for a usage line.
 */

/** The value of the last `--check`: "" when given bare, undefined when absent (or `--no-check`). */
export function checkFlagValue(raw: readonly string[]): string | undefined {
  let value: string | undefined;
  for (const arg of raw) {
    if (arg === "--") break;
    if (arg === "--check") value = "";
    else if (arg.startsWith("--check=")) value = arg.slice("--check=".length);
    else if (arg === "--no-check") value = undefined;
  }
  return value;
}

/** "" → basic only; "stream,tools" → basic + both; "all" → every kind. Basic always runs first. */
export function parseCheckKinds(value: string): CheckKind[] {
  const kinds = new Set<CheckKind>(["basic"]);
  for (const word of value.split(",").map((w) => w.trim().toLowerCase())) {
    if (word === "") continue;
    if (word === "all") CHECK_KINDS.forEach((k) => kinds.add(k));
    else if ((CHECK_KINDS as readonly string[]).includes(word)) kinds.add(word as CheckKind);
    else
      throw new Error(
        `invalid --check "${value}": expected a comma-separated list of ${CHECK_KINDS.join(", ")} or all`,
      );
  }
  return CHECK_KINDS.filter((k) => kinds.has(k));
}

/** `--check-timeout` in seconds (decimals allowed) → milliseconds. */
export function parseCheckTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  const s = Number(value);
  if (value.trim() === "" || !Number.isFinite(s) || s <= 0 || s > 3600) {
    throw new Error(
      `invalid --check-timeout "${value}": expected seconds, more than 0 and at most 3600`,
    );
  }
  return Math.round(s * 1000);
}

/** Colour only for a terminal, and never when NO_COLOR is set to anything (https://no-color.org). */
export function wantsColor(
  stream: { isTTY?: boolean },
  env: Record<string, string | undefined>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return stream.isTTY === true;
}
