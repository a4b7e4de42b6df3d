/**
 * The jq text the engine runs. One program holds every selector of every group, so each request costs
 * one jq parse of its body however many selectors apply (shared/docs/jq-engine.md §C).
 *
 * Each request arrives on jq's stdin as one JSON text, wrapped without re-encoding the body:
 *   RS {"b": <body bytes as sent>, "g": group, "f": format, "r": [selector ids to run], "n": nonce,
 *       "t": estimated input tokens or null} LF
 * and yields one output line per step: the nonce once the input is parsed, then one line per id in "r":
 * 1 (first output is exactly true), 0 (anything else, or no output), or the runtime error as a string.
 * Streaming the lines lets the worker see which selector is running when a deadline passes.
 *
 * The body is not trusted to be JSON. Our keys come after it, so keys it smuggles into the wrapper
 * lose (jq keeps the last duplicate); and a body that closes the wrapper early to start a JSON text of
 * its own cannot know the per-request nonce that a genuine answer starts with.
 */

/** Builtins that would end jq's long-lived main() or read the next request's body. */
const PRELUDE = [
  'def halt: error("halt is disabled in selectors");',
  'def halt_error: error("halt_error is disabled in selectors");',
  'def halt_error($code): error("halt_error is disabled in selectors");',
  'def input: error("input is disabled in selectors");',
  'def inputs: error("inputs is disabled in selectors");',
];

/** Binds $group, $format and $tokens for the selectors; the $__lr_ names are internal (and refused in selectors). */
const BIND =
  ". as {g: $group, f: $format, t: $tokens, r: $__lr_run, b: $__lr_body, n: $__lr_nonce}";
/** `$tokens` as a whole name: a selector without it never makes the router estimate a request. */
const TOKENS_NAME = /\$tokens(?![A-Za-z0-9_])/;
const INTERNAL_NAME = /\$__lr_/;
const MAX_ERROR_CHARS = 300;

/**
 * A selector on lines of its own: a `#` comment in it ends at its own last line, and jq's line numbers
 * point into the selector after subtracting the lines before it.
 */
function leaf(selector: string): string {
  return `try ([first(\n${selector}\n)] | if .[0] == true then 1 else 0 end) catch (tostring | .[0:${MAX_ERROR_CHARS}])`;
}

/** A balanced if-tree on the selector id: log2(n) comparisons to reach any selector of any group. */
function dispatch(selectors: readonly string[], lo: number, hi: number): string {
  if (hi - lo === 1) return `(${leaf(selectors[lo]!)})`;
  const mid = (lo + hi) >> 1;
  return `(if $__lr_id < ${mid} then ${dispatch(selectors, lo, mid)} else ${dispatch(selectors, mid, hi)} end)`;
}

/** The combined program; selector ids are indexes into `selectors`. */
export function combinedProgram(selectors: readonly string[]): string {
  if (selectors.length === 0) return [...PRELUDE, `${BIND} | $__lr_nonce`].join("\n");
  return [
    ...PRELUDE,
    `${BIND} | $__lr_nonce, ($__lr_run[] as $__lr_id | $__lr_body | ${dispatch(selectors, 0, selectors.length)})`,
  ].join("\n");
}

/** Flags for the long-lived main(): --seq makes a malformed body skippable instead of fatal. */
export const PERSISTENT_FLAGS = ["-c", "-M", "--seq", "--unbuffered"];

/**
 * Programs that only compile the selector (`empty |` never runs it): first alone, as an author would
 * write it, so jq's messages and lines are the natural ones; then wrapped as the combined program uses it.
 */
export function checkPrograms(selector: string): {
  alone: string;
  wrapped: string;
  firstLine: number;
} {
  const head = [...PRELUDE, `${BIND} | empty |`].join("\n");
  return {
    alone: `${head}\n${selector}`,
    wrapped: `${head} (${leaf(selector)})`,
    firstLine: PRELUDE.length + 2,
  };
}

export function usesInternalName(selector: string): boolean {
  return INTERNAL_NAME.test(selector);
}

/**
 * Whether the selector may read `$tokens`. jq has no way to name a variable but by its text, so
 * this never misses a use; a mention in a comment or a string only costs an unneeded estimate.
 */
export function usesTokens(selector: string): boolean {
  return TOKENS_NAME.test(selector);
}

const encoder = new TextEncoder();
/** What goes before the body on jq's stdin. */
export const INPUT_PREFIX = encoder.encode('\x1e{"b":');

/** The start of what goes after the body, up to the nonce; the same for every request of a kind. */
export function inputMeta(group: string, format: string, ids: readonly number[]): string {
  return `,"g":${JSON.stringify(group)},"f":${JSON.stringify(format)},"r":[${ids.join(",")}],"n":`;
}

/** An unguessable nonce, and the line that a genuine answer starts with. */
export function newNonce(): { nonce: string; mark: string } {
  const words = crypto.getRandomValues(new Uint32Array(3));
  const nonce = Array.from(words, (w) => w.toString(36)).join("-");
  return { nonce, mark: `"${nonce}"` };
}

/** The end of the wrapper; `tokens` varies per request, so it is not part of the cached meta. */
export function inputSuffix(meta: string, nonce: string, tokens?: number): Uint8Array {
  const t = tokens !== undefined && Number.isFinite(tokens) ? String(tokens) : "null";
  return encoder.encode(`${meta}"${nonce}","t":${t}}\n`);
}

/** One output line of the combined program, RS and LF already removed. */
export type StepResult =
  | { kind: "match" }
  | { kind: "no_match" }
  | { kind: "error"; message: string }
  | { kind: "invalid"; line: string };

export function parseStep(line: string): StepResult {
  if (line === "1") return { kind: "match" };
  if (line === "0") return { kind: "no_match" };
  if (line.startsWith('"')) {
    try {
      return { kind: "error", message: String(JSON.parse(line)) };
    } catch {
      // Falls through: not a line this program prints.
    }
  }
  return { kind: "invalid", line };
}

/** Splits jq's --seq output into lines without the RS that starts each. */
export function outputLines(text: string): string[] {
  const lines = text.split("\n");
  lines.pop(); // text ends with LF, or is empty
  return lines.map((l) => (l.charCodeAt(0) === 0x1e ? l.slice(1) : l));
}
