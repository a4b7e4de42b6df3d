/**
 * A stream's frames repeat themselves: after the first few, an upstream's text deltas differ
 * from one another only in the text (and OpenAI's random padding, Gemini's running token counts).
 * A template learnt from one parsed frame checks the next frames byte for byte around those values
 * and hands back just the values, for a fraction of what JSON.parse costs on the whole frame.
 *
 * Soundness: the holes are found in the frame's text and then proven: with a mark no upstream
 * can know in place of each, the text must parse with every mark at its own path. Each mark is
 * then a whole token at that path, so any frame with the same bytes around valid JSON strings
 * (or counts) parses to the same value with only those values changed. Anything else does not
 * match and is parsed in full. Whitespace and key order are the upstream's own; only the hole
 * strings must be written as JSON.stringify writes them (other escapes find no hole).
 */

/** A key path to a string or count inside a parsed frame: object keys and array indexes. */
export type HolePath = readonly (string | number)[];

/**
 * Templates a decoder tries to learn per stream. A frame that misses the template is parsed in
 * full and may teach a new one (thinking, then text); an upstream whose frames never repeat
 * (padding that changes every time) stops paying for the tries.
 */
export const LEARN_TRIES = 4;

/** Stands in for a hole while a template is proven: random, so no frame can already hold it. */
const MARK = `\u0000${crypto.randomUUID()} `;

const NEEDS_PARSE = /[\\\u0000-\u001f]/;

export class FrameTemplate {
  private constructor(
    /** The bytes before, between and after the holes, in text order. */
    private readonly fixed: readonly string[],
    /** For each hole in text order, its position in the caller's list. */
    private readonly order: readonly number[],
    /** For each hole in text order, whether it holds a count (a non-negative integer) rather than a string. */
    private readonly counts: readonly boolean[],
  ) {}

  /**
   * The template of `data` with the values at `holes` left open, or undefined when that cannot
   * be proven. A hole holds a string, or a count (a non-negative integer, such as a token count).
   */
  static learn(
    data: string,
    parsed: unknown,
    holes: readonly HolePath[],
  ): FrameTemplate | undefined {
    const spots: { at: number; end: number; hole: number; count: boolean }[] = [];
    for (let i = 0; i < holes.length; i++) {
      const value = valueAt(parsed, holes[i]!);
      if (typeof value !== "string" && !(Number.isSafeInteger(value) && (value as number) >= 0))
        return undefined;
      const literal = JSON.stringify(value);
      const find =
        typeof value === "string"
          ? (from: number) => data.indexOf(literal, from)
          : (from: number) => numberAt(data, literal, from);
      const at = find(0);
      // Not found: written with other escapes. Twice: no telling which one is the hole.
      if (at < 0 || find(at + 1) >= 0) return undefined;
      spots.push({ at, end: at + literal.length, hole: i, count: typeof value === "number" });
    }
    spots.sort((a, b) => a.at - b.at);
    const fixed: string[] = [];
    let from = 0;
    for (const spot of spots) {
      if (spot.at < from) return undefined; // overlapping finds
      fixed.push(data.slice(from, spot.at));
      from = spot.end;
    }
    fixed.push(data.slice(from));
    let probe = fixed[0]!;
    for (let k = 0; k < spots.length; k++)
      probe += JSON.stringify(MARK + spots[k]!.hole) + fixed[k + 1]!;
    let proven: unknown;
    try {
      proven = JSON.parse(probe);
    } catch {
      return undefined;
    }
    for (let i = 0; i < holes.length; i++)
      if (valueAt(proven, holes[i]!) !== MARK + i) return undefined;
    return new FrameTemplate(
      fixed,
      spots.map((s) => s.hole),
      spots.map((s) => s.count),
    );
  }

  /**
   * The hole values of a frame that has exactly the template's bytes around them, else
   * undefined. A count comes back as its digits.
   */
  match(data: string): string[] | undefined {
    const fixed = this.fixed;
    if (!data.startsWith(fixed[0]!)) return undefined;
    const values: string[] = new Array(this.order.length);
    let at = fixed[0]!.length;
    for (let i = 0; i < this.order.length; i++) {
      const count = this.counts[i];
      const end = count ? digitsEnd(data, at) : literalEnd(data, at);
      if (end < 0) return undefined;
      const next = fixed[i + 1]!;
      if (!data.startsWith(next, end)) return undefined;
      const value = count ? data.slice(at, end) : stringAt(data, at, end);
      if (value === undefined) return undefined;
      values[this.order[i]!] = value;
      at = end + next.length;
    }
    return at === data.length ? values : undefined;
  }
}

function valueAt(value: unknown, path: HolePath): unknown {
  let at = value;
  for (const key of path)
    at =
      typeof at === "object" && at !== null
        ? (at as Record<string | number, unknown>)[key]
        : undefined;
  return at;
}

/** Where `digits` next stand as a number of their own (not inside a longer one), or -1. */
function numberAt(data: string, digits: string, from: number): number {
  for (let at = data.indexOf(digits, from); at >= 0; at = data.indexOf(digits, at + 1)) {
    const before = data.charCodeAt(at - 1);
    const after = data.charCodeAt(at + digits.length);
    if (!isNumberChar(before) && !isNumberChar(after)) return at;
  }
  return -1;
}

/** Digits, sign, point and exponent: what a number token next to a match would be made of. */
const isNumberChar = (c: number) =>
  (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;

/** The index just past the count (JSON digits: no sign, no leading zero) that starts at `at`, or -1. */
function digitsEnd(data: string, at: number): number {
  const first = data.charCodeAt(at);
  if (first === 48) return at + 1;
  if (!(first >= 49 && first <= 57)) return -1;
  let end = at + 1;
  while (end < data.length && data.charCodeAt(end) >= 48 && data.charCodeAt(end) <= 57) end++;
  return end;
}

/** The index just past the JSON string literal that starts at `at`, or -1. */
function literalEnd(data: string, at: number): number {
  if (data.charCodeAt(at) !== 34) return -1;
  let q = data.indexOf('"', at + 1);
  while (q >= 0) {
    let slashes = 0;
    while (data.charCodeAt(q - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) return q + 1;
    q = data.indexOf('"', q + 1);
  }
  return -1;
}

/** The value of the literal data[at, end): plain text as it is, anything escaped through JSON.parse. */
function stringAt(data: string, at: number, end: number): string | undefined {
  const inner = data.slice(at + 1, end - 1);
  if (!NEEDS_PARSE.test(inner)) return inner;
  try {
    return JSON.parse(data.slice(at, end)) as string;
  } catch {
    return undefined; // a bad escape or a raw control character: the full parse reports it
  }
}
