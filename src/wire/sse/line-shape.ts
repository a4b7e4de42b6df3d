/**
 * A passthrough stream's data lines repeat their shape: OpenAI's chunks name the model after the
 * same id and timestamp every time, Gemini's end with the same modelVersion and responseId. Once
 * one line was walked and its value found, a later line that repeats the bytes around the key is
 * edited at the same place without walking it again.
 *
 * Two ways a line can repeat, each enough on its own:
 * - the same bytes from the line start up to the value: the walk is a function of the bytes it
 *   has seen, so it reaches the key in the same state and finds the value just as before (the
 *   value's own length may differ: its end is its closing quote);
 * - for a top-level key, the same bytes from the key to the line end, the key being the line's
 *   first occurrence of the quoted name and its quote not escaped: in valid JSON such a quote
 *   opens a string, that string is the key, and the object it is in closes at the line's end,
 *   as the top-level object must. (A line that is not valid JSON may be edited where a walk
 *   would not have; an upstream writes its frames with a serializer.)
 *
 * Anything else is walked, and the walk teaches the next shape.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/**
 * The longest prefix or suffix kept. Real ones are a few hundred bytes at most; a line that
 * carries an image before its key must not stay in memory for the rest of its stream.
 */
const MAX_KEPT = 1024;

export class LineShape {
  private constructor(
    /** The bytes from the line start to the key's opening quote; undefined when too long to keep. */
    private readonly prefix: Uint8Array | undefined,
    /** The bytes from the key's opening quote to the value's first character. */
    private readonly lead: Uint8Array,
    /** The bytes from the key's opening quote to the line end; undefined for a nested key. */
    private readonly suffix: Uint8Array | undefined,
    /** The value's characters within `suffix`. */
    private readonly value: readonly [number, number],
  ) {}

  /**
   * The shape of a walked line whose value characters are [value0, value1), with `key` (a quoted
   * name) ending just before the separator in front of the value; undefined when that is not so.
   * `topLevel`: the key is one of the line's top-level object.
   */
  static learn(
    line: Buffer,
    start: number,
    end: number,
    key: Uint8Array,
    value: readonly [number, number],
    topLevel: boolean,
  ): LineShape | undefined {
    const keyAt = line.lastIndexOf(key, value[0] - 2);
    if (keyAt < start || !isSeparator(line, keyAt + key.length, value[0] - 1)) return undefined;
    const prefix = keyAt - start <= MAX_KEPT ? line.slice(start, keyAt) : undefined;
    const suffix = topLevel && end - keyAt <= MAX_KEPT ? line.slice(keyAt, end) : undefined;
    if (!prefix && !suffix) return undefined;
    return new LineShape(prefix, line.slice(keyAt, value[0]), suffix, [
      value[0] - keyAt,
      value[1] - keyAt,
    ]);
  }

  /**
   * Where the value's characters are in the line [start, end) whose first occurrence of the
   * quoted key is at `keyAt`, if the line has this shape.
   */
  find(line: Buffer, start: number, end: number, keyAt: number): [number, number] | undefined {
    const { prefix, lead, suffix } = this;
    if (
      prefix &&
      keyAt - start === prefix.length &&
      line.compare(prefix, 0, prefix.length, start, keyAt) === 0
    ) {
      const from = keyAt + lead.length;
      if (from > end || line.compare(lead, 0, lead.length, keyAt, from) !== 0) return undefined;
      const close = closingQuote(line, from, end);
      return close < 0 ? undefined : [from, close];
    }
    if (
      suffix &&
      end - keyAt === suffix.length &&
      !escaped(line, keyAt, start) &&
      line.compare(suffix, 0, suffix.length, keyAt, end) === 0
    ) {
      return [keyAt + this.value[0], keyAt + this.value[1]];
    }
    return undefined;
  }
}

/** Whether [from, to) holds the colon between a key and its value, JSON whitespace, and the value's opening quote. */
function isSeparator(line: Buffer, from: number, to: number): boolean {
  let colon = false;
  for (let i = from; i < to; i++) {
    const b = line[i]!;
    if (b === 0x3a && !colon) colon = true;
    else if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a) return false;
  }
  return colon && line[to] === QUOTE;
}

/** Whether the byte at `at` follows an odd run of backslashes (no further back than `start`). */
function escaped(line: Buffer, at: number, start: number): boolean {
  let n = 0;
  while (at - 1 - n >= start && line[at - 1 - n] === BACKSLASH) n++;
  return n % 2 === 1;
}

/** The first unescaped quote in [from, end), or -1. */
function closingQuote(line: Buffer, from: number, end: number): number {
  for (let q = line.indexOf(QUOTE, from); q >= 0 && q < end; q = line.indexOf(QUOTE, q + 1)) {
    if (!escaped(line, q, from)) return q;
  }
  return -1;
}
