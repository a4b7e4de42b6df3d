import type { Usage } from "../ir";
import type { UsageReading } from "../wire/format";

const COLON = 0x3a;
const OPEN_OBJ = 0x7b;
/** JSON whitespace between a key, its colon and its value; serializers write a space at most. */
const MAX_SPACE = 64;
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * The byte test that decides which stream frames are parsed for usage: one of the format's usage
 * keys, quoted, then a colon and an object. A quote that ends a key is never escaped, and inside a
 * JSON string every quote is, so a model's text cannot pass it (only a text that ends right before
 * `":{` in a key could): a stream of fake "usage" strings costs a native search and no parse. A
 * `"usage":null` (OpenAI's chunks when usage was asked for) does not pass either.
 */
export class UsageKeys {
  /** What every key's quoted form starts with: the one native search per read. */
  readonly needle: Buffer;
  /** The rest of each quoted key after the needle, its closing quote included. */
  private readonly rests: Buffer[];

  constructor(keys: readonly string[]) {
    const quoted = keys.map((k) => JSON.stringify(k));
    // Short of the closing quote, so each rest ends with one.
    let common = quoted[0]!.slice(0, -1);
    for (const q of quoted) while (!q.startsWith(common)) common = common.slice(0, -1);
    this.needle = Buffer.from(common);
    this.rests = quoted.map((q) => Buffer.from(q.slice(common.length)));
  }

  /**
   * Whether bytes [from, to) hold a usage key with an object value. Each occurrence of the needle
   * is looked at once, within a few bytes: linear in the bytes, however many there are.
   */
  holds(b: Buffer, from: number, to: number): boolean {
    // Searched within [from, to) only: a line's search never runs on into the next lines.
    const within = b.subarray(0, to);
    const n = this.needle.length;
    for (let hit = within.indexOf(this.needle, from); hit >= 0;) {
      if (this.objectAfter(within, hit + n, to)) return true;
      hit = within.indexOf(this.needle, hit + 1);
    }
    return false;
  }

  /** Whether a key's rest, a colon and an object's opening brace follow at `at` (before `to`). */
  private objectAfter(b: Buffer, at: number, to: number): boolean {
    const rest = this.rests.find(
      (r) => at + r.length <= to && b.compare(r, 0, r.length, at, at + r.length) === 0,
    );
    if (!rest) return false;
    let i = skipSpace(b, at + rest.length, to);
    if (i >= to || b[i] !== COLON) return false;
    i = skipSpace(b, i + 1, to);
    return i < to && b[i] === OPEN_OBJ;
  }
}

function skipSpace(b: Buffer, i: number, to: number): number {
  const stop = Math.min(to, i + MAX_SPACE);
  while (i < stop && isSpace(b[i])) i++;
  return i;
}

/** The byte test of each format's keys, made once: a stream's reader is made per request. */
const prepared = new WeakMap<UsageReading, UsageKeys>();

/**
 * The usage read so far from one stream's frames, by the format's own rule, and how many frames
 * it parsed (a test proves that only usage frames are).
 */
export class UsageTally {
  usage: Usage | undefined;
  parsed = 0;
  readonly keys: UsageKeys;

  constructor(readonly reading: UsageReading) {
    let keys = prepared.get(reading);
    if (!keys) prepared.set(reading, (keys = new UsageKeys(reading.keys)));
    this.keys = keys;
  }

  /** Reads one stream frame's JSON (a data line's payload, an array element); returns it, or undefined when it is not JSON. */
  read(bytes: Uint8Array): unknown {
    const json = this.parse(bytes);
    if (json !== NOT_JSON) this.usage = this.reading.frame(json, this.usage);
    return json === NOT_JSON ? undefined : json;
  }

  /** Reads a whole answer's JSON. */
  readAnswer(bytes: Uint8Array): void {
    const json = this.parse(bytes);
    if (json !== NOT_JSON) this.usage = this.reading.answer(json);
  }

  private parse(bytes: Uint8Array): unknown {
    this.parsed++;
    try {
      // As latin1: no UTF-8 decoding to pay for. Bytes of a multi-byte character become other
      // characters of the same strings (never JSON's structure), and only numbers are read.
      return JSON.parse(
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1"),
      );
    } catch {
      return NOT_JSON; // a cut or garbled frame: the stream's own verdict says what it was
    }
  }
}

const NOT_JSON = Symbol("not JSON");
