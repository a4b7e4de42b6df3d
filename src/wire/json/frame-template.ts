/**
 * A stream's frames repeat themselves: after the first few, an upstream's text deltas differ
 * from one another only in the text (and, at OpenAI, a random padding string). A template learnt
 * from one parsed frame checks the next frames byte for byte around those strings and hands back
 * just the strings, for a fraction of what JSON.parse costs on the whole frame.
 *
 * Soundness: a template is learnt only from a frame whose text is exactly what JSON.stringify
 * gives for its parsed value, so the bytes between the holes are known JSON structure. A frame
 * that matches those bytes, with a valid JSON string in every hole, therefore parses to the same
 * value with only the hole strings changed. Anything else does not match and is parsed in full.
 */

/** A key path to a string inside a parsed frame: object keys and array indexes. */
export type HolePath = readonly (string | number)[];

/** Stands in for a hole while the template is cut; a frame that contains it cannot be learnt. */
const MARK = "\u0000llm-router hole ";

const NEEDS_PARSE = /[\\\u0000-\u001f]/;

export class FrameTemplate {
  private constructor(
    /** The bytes before, between and after the holes, in text order. */
    private readonly fixed: readonly string[],
    /** For each hole in text order, its position in the caller's list. */
    private readonly order: readonly number[],
  ) {}

  /**
   * The template of `data` with the strings at `holes` left open, or undefined when the frame
   * is not in canonical form or a path does not lead to a string. Leaves `parsed` as it was.
   */
  static learn(data: string, parsed: object, holes: readonly HolePath[]): FrameTemplate | undefined {
    if (JSON.stringify(parsed) !== data) return undefined;
    const restore: (() => void)[] = [];
    try {
      for (let i = 0; i < holes.length; i++) {
        const hole = holes[i]!;
        let at: unknown = parsed;
        for (let k = 0; k < hole.length - 1; k++) at = typeof at === "object" && at !== null ? (at as Record<string | number, unknown>)[hole[k]!] : undefined;
        if (typeof at !== "object" || at === null) return undefined;
        const box = at as Record<string | number, unknown>;
        const key = hole[hole.length - 1]!;
        const was = box[key];
        if (typeof was !== "string") return undefined;
        box[key] = MARK + i;
        restore.push(() => (box[key] = was));
      }
      return FrameTemplate.cut(JSON.stringify(parsed), holes.length);
    } finally {
      for (const undo of restore) undo();
    }
  }

  private static cut(text: string, count: number): FrameTemplate | undefined {
    const found: { at: number; end: number; hole: number }[] = [];
    for (let i = 0; i < count; i++) {
      const literal = JSON.stringify(MARK + i);
      const at = text.indexOf(literal);
      // Twice means the frame itself holds the mark: no telling which one is the hole.
      if (at < 0 || text.indexOf(literal, at + 1) >= 0) return undefined;
      found.push({ at, end: at + literal.length, hole: i });
    }
    found.sort((a, b) => a.at - b.at);
    const fixed: string[] = [];
    let from = 0;
    for (const f of found) fixed.push(text.slice(from, f.at)), (from = f.end);
    fixed.push(text.slice(from));
    return new FrameTemplate(fixed, found.map((f) => f.hole));
  }

  /** The hole strings of a frame that has exactly the template's bytes around them, else undefined. */
  match(data: string): string[] | undefined {
    const fixed = this.fixed;
    if (!data.startsWith(fixed[0]!)) return undefined;
    const values: string[] = new Array(this.order.length);
    let at = fixed[0]!.length;
    for (let i = 0; i < this.order.length; i++) {
      const end = literalEnd(data, at);
      if (end < 0) return undefined;
      const next = fixed[i + 1]!;
      if (!data.startsWith(next, end)) return undefined;
      const value = stringAt(data, at, end);
      if (value === undefined) return undefined;
      values[this.order[i]!] = value;
      at = end + next.length;
    }
    return at === data.length ? values : undefined;
  }
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
