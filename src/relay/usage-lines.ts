import { concat } from "../wire/json/string-rewriter";
import { MAX_LINE_BYTES } from "../wire/sse/line-cap";
import type { UsageKeys, UsageTally } from "./usage-keys";

const LF = 0x0a;
const CR = 0x0d;
const DATA = Buffer.from("data:");
const EMPTY = new Uint8Array(0);

/**
 * Reads a passthrough SSE stream's usage off its data lines, as they go by. Each read is searched
 * natively for the format's usage key (usage-keys.ts); only a whole data line that holds it with an
 * object value is parsed, once. A line that reads cut in two is kept by reference until its end
 * and joined once to be read, up to the line cap: a longer one is not read. Memory is one line,
 * time is linear in the stream, whatever it holds; nothing else is looked at.
 *
 * With `dropExtra` (the router asked the upstream for usage that its client did not ask for), the
 * frames only that ask brought are taken out of the stream with their blank line, so the client
 * gets the events it would have got. That needs a line whole before it goes out, so the read's
 * unfinished last line waits for its end; no SSE reader can act on half a line anyway.
 */
export class UsageLines {
  private readonly keys: UsageKeys;
  /** The unfinished last line, by reference, in pieces of the reads it came in. */
  private pieces: Uint8Array[] = [];
  private size = 0;
  /** The unfinished line passed the cap: it is not read, nor held back. */
  private overlong = false;
  /** A frame was dropped whose blank line has not come yet. */
  private blankDue = false;

  constructor(
    readonly tally: UsageTally,
    private readonly dropExtra: boolean,
    private readonly cap = MAX_LINE_BYTES,
  ) {
    this.keys = tally.keys;
  }

  /** One read, as the client is to get it: returns what goes on (the read itself, unless frames are dropped). */
  push(chunk: Uint8Array): Uint8Array {
    const b = asBuffer(chunk);
    // A read that continues a line ends it first (nearly every read starts a line of its own).
    const open = this.pieces.length > 0 || this.overlong || this.blankDue;
    const first = open ? b.indexOf(LF) : 0;
    if (first < 0) return this.extend(chunk);
    const out = this.dropExtra ? new Parts(chunk) : undefined;
    let from = 0;
    if (open) {
      this.finishLine(b, first, out);
      from = first + 1;
    }
    // The read's whole lines: only those holding the key are looked at.
    const needle = this.keys.needle;
    for (let hit = b.indexOf(needle, from); hit >= 0; hit = b.indexOf(needle, from)) {
      const end = b.indexOf(LF, hit);
      if (end < 0) break; // in the unfinished last line: read with its end
      const start = b.lastIndexOf(LF, hit) + 1;
      if (this.read(b, start, end)) out?.cut(start, end + 1 + this.blankAt(b, end + 1));
      from = end + 1;
    }
    if (b[b.length - 1] !== LF) {
      const tail = b.lastIndexOf(LF) + 1;
      const now = this.extend(chunk.subarray(tail));
      out?.tail(tail, now);
    }
    return out ? out.result() : chunk;
  }

  /** The stream is over: its unfinished last line is read as it is, and what was held goes on. */
  end(): Uint8Array {
    const held = this.pieces;
    const overlong = this.overlong;
    this.reset();
    if (held.length === 0 || overlong) return EMPTY;
    const line = asBuffer(concat(held));
    const drop = (this.blankDue && isBlank(line)) || this.read(line, 0, line.length);
    return this.dropExtra && !drop ? line : EMPTY;
  }

  /** The line that earlier reads left open ends at `first`: it is read whole. */
  private finishLine(b: Buffer, first: number, out: Parts | undefined): void {
    const held = this.pieces;
    const overlong = this.overlong;
    const blankDue = this.blankDue;
    this.reset();
    this.blankDue = false;
    if (overlong) return; // what was held went on when it passed the cap
    const head = b.subarray(0, first);
    const line = held.length === 0 ? head : asBuffer(concat([...held, head]));
    const blank = blankDue && isBlank(line);
    if (blank || this.read(line, 0, line.length))
      out?.cut(0, first + 1 + (blank ? 0 : this.blankAt(b, first + 1)));
    else out?.before(held);
  }

  /** Reads the usage of line [start, end) when it is a data line with a usage key; true when it is to be dropped. */
  private read(b: Buffer, start: number, end: number): boolean {
    const at = start + DATA.length;
    if (end < at || b.compare(DATA, 0, DATA.length, start, at) !== 0) return false;
    if (!this.keys.holds(b, at, end)) return false;
    const json = this.tally.read(b.subarray(at, end));
    return this.dropExtra && json !== undefined && this.tally.reading.ask!.extra(json);
  }

  /**
   * The length of the blank line at `at` that ends a dropped frame, when the read holds it whole;
   * when it is still to come (or its CR came alone), the next line is dropped if blank.
   */
  private blankAt(b: Buffer, at: number): number {
    if (at < b.length && b[at] === LF) return 1;
    if (at + 1 < b.length && b[at] === CR && b[at + 1] === LF) return 2;
    if (at >= b.length || (at + 1 === b.length && b[at] === CR)) this.blankDue = true;
    return 0;
  }

  /** Bytes of an unfinished line; returns what of them (and of the held ones) goes on now. */
  private extend(bytes: Uint8Array): Uint8Array {
    if (this.overlong) return bytes;
    this.size += bytes.length;
    if (this.size <= this.cap) {
      this.pieces.push(bytes);
      return this.dropExtra ? EMPTY : bytes;
    }
    // Past the cap: the line is not read, and what was held of it goes on.
    const held = this.pieces;
    this.reset();
    this.overlong = true;
    return this.dropExtra && held.length > 0 ? concat([...held, bytes]) : bytes;
  }

  private reset(): void {
    this.pieces = [];
    this.size = 0;
    this.overlong = false;
  }
}

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.length);

/** A line with nothing but its CR (the LF is not part of it). */
const isBlank = (line: Uint8Array) => line.length === 0 || (line.length === 1 && line[0] === CR);

/**
 * What one read puts out when frames may be dropped: held bytes of earlier reads first, then the
 * read minus the cut ranges and its held tail. The read itself, not a copy, when nothing changed.
 */
class Parts {
  private readonly parts: Uint8Array[] = [];
  private from = 0;
  private changed = false;

  constructor(private readonly chunk: Uint8Array) {}

  before(held: readonly Uint8Array[]): void {
    if (held.length === 0) return;
    this.parts.push(...held);
    this.changed = true;
  }

  /** Ranges come in order. */
  cut(start: number, end: number): void {
    if (start > this.from) this.parts.push(this.chunk.subarray(this.from, start));
    this.from = end;
    this.changed = true;
  }

  /** The read's unfinished last line starts at `start`; `now` is what of it goes on now. */
  tail(start: number, now: Uint8Array): void {
    if (now.length === this.chunk.length - start) return;
    this.cut(start, this.chunk.length);
    if (now.length > 0) this.parts.push(now);
  }

  result(): Uint8Array {
    if (!this.changed) return this.chunk;
    if (this.from < this.chunk.length) this.parts.push(this.chunk.subarray(this.from));
    return this.parts.length === 0 ? EMPTY : concat(this.parts);
  }
}
