/**
 * Replaces the string value found at a key path inside a JSON byte stream, without parsing
 * the document. Passthrough uses it to make the response name the model group the client
 * asked for while every other byte goes through untouched.
 *
 * It tracks only structure (nesting, strings, escapes), so it costs one pass over the bytes
 * and nothing once the (single) target has been replaced. Chunks may split the document
 * anywhere, including inside keys, escapes and multi-byte characters: UTF-8 continuation
 * bytes are >= 0x80 and can never be mistaken for the ASCII structure it looks at.
 */

import { ElementMeter } from "./element-meter";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** A path segment is an object key, or "*" for any element of an array. */
export type KeyPath = readonly string[];

const enum Mode {
  Scan,
  Key,
  Value,
  Skip, // the target value's old bytes, dropped
  Done, // replaced once: everything after is copied as-is
}

const encoder = new TextEncoder();

export class JsonStringRewriter {
  private readonly path: Uint8Array[];
  private readonly wildcard: boolean[];
  private readonly replacement: Uint8Array;
  private readonly once: boolean;
  /** Measures a top-level array's elements, when given a cap (see `oversized`). */
  private readonly meter: ElementMeter | undefined;

  // One entry per open container: is it an object, and does its current key match the path?
  private isObj: boolean[] = [];
  private keyOk: boolean[] = [];
  private expectKey: boolean[] = [];
  private mode = Mode.Scan;
  private escape = false;
  // Key being read: compared byte by byte against the path segment for its depth.
  private keyPos = 0;
  private keyMatch = false;
  /** Keys that complete the path (`"model"` for ["model"]), counted: more than one is a duplicate. */
  pathKeys = 0;
  /** A key at one of the path's depths is written with a backslash escape (`"m\u006fdel"`). */
  escapedKey = false;

  /** `replacement` is the new value as a plain string; it is JSON-escaped here. */
  constructor(
    path: KeyPath,
    replacement: string,
    opts: { once?: boolean; elementCap?: number; meter?: ElementMeter } = {},
  ) {
    this.path = path.map((p) => encoder.encode(p));
    this.wildcard = path.map((p) => p === "*");
    this.replacement = encoder.encode(JSON.stringify(replacement).slice(1, -1));
    this.once = opts.once ?? true;
    // A meter of the caller's own sees the elements too (passthrough reads their usage).
    this.meter =
      opts.meter ?? (opts.elementCap === undefined ? undefined : new ElementMeter(opts.elementCap));
  }

  /** Ready for a new document, with the path and replacement already prepared. */
  reset(): void {
    this.isObj.length = 0;
    this.keyOk.length = 0;
    this.expectKey.length = 0;
    this.mode = Mode.Scan;
    this.escape = false;
    this.meter?.reset();
    this.pathKeys = 0;
    this.escapedKey = false;
  }

  /** An element of the top-level array passed `elementCap`: the stream is to be ended. */
  get oversized(): boolean {
    return this.meter?.oversized ?? false;
  }

  /** A top-level array whose first element has not ended yet (`[` alone, or inside that element). */
  get firstElementPending(): boolean {
    return this.meter?.firstPending ?? false;
  }

  /** Inside an element of the top-level array: a stream cut here has no place for another. */
  get inElement(): boolean {
    return this.meter?.inElement ?? false;
  }

  /** Whether the (single) replacement has happened and the rest is copied unchanged. */
  get done(): boolean {
    return this.mode === Mode.Done;
  }

  /** Feeds one chunk; returns the bytes to emit for it (the input itself when nothing changed). */
  push(chunk: Uint8Array): Uint8Array {
    if (this.mode === Mode.Done) return chunk;
    let out: Uint8Array[] | null = null;
    let from = 0; // start of the not yet emitted run of input bytes
    const n = chunk.length;
    for (let i = 0; i < n && !this.done;) {
      const skipping = this.mode === Mode.Skip;
      i = this.scan(chunk, i, n);
      if (!skipping && this.mode === Mode.Skip) {
        // Emit everything up to and including the opening quote, then drop the old value.
        (out ??= []).push(chunk.subarray(from, i));
        from = i;
      } else if (skipping && this.mode !== Mode.Skip) {
        (out ??= []).push(this.replacement);
        from = i - 1; // the closing quote is emitted with the next run
      }
    }
    if (this.mode === Mode.Skip) from = n; // still inside the old value: drop what we saw
    this.meter?.endRead(n);
    if (out === null) return from === 0 ? chunk : chunk.subarray(from);
    if (from < n) out.push(chunk.subarray(from));
    return concat(out);
  }

  /**
   * Where the target value's characters sit in one whole document (`[start, end)`, between its
   * quotes), found from a fresh state; null when it is not there. Callers that hold the whole
   * document copy around the range themselves, with no intermediate pieces.
   */
  locate(doc: Uint8Array, from = 0, to = doc.length): [number, number] | null {
    this.reset();
    const start = this.scan(doc, from, to);
    if (this.mode !== Mode.Skip) return null;
    const end = this.scan(doc, start, to);
    return this.mode === Mode.Skip ? null : [start, end - 1];
  }

  /** The bytes to put in place of the old value's characters (JSON-escaped). */
  get replacementBytes(): Uint8Array {
    return this.replacement;
  }

  /**
   * Walks bytes [i, n) and stops just after the quote that opens the target value or the one
   * that closes it (the mode tells which); returns where it stopped.
   */
  private scan(chunk: Uint8Array, i: number, n: number): number {
    for (; i < n; i++) {
      const b = chunk[i]!;
      const mode = this.mode;
      if (mode === Mode.Scan) {
        if (b === QUOTE) this.openString();
        else if (b === OPEN_OBJ) this.openContainer(true, i);
        else if (b === OPEN_ARR) this.openContainer(false, i);
        else if (b === CLOSE_OBJ || b === CLOSE_ARR) this.closeContainer(i);
        else if (b === COMMA) this.afterComma();
        else if (b === COLON) this.afterColon();
        if (this.mode === Mode.Skip) return i + 1;
        continue;
      }
      if (this.escape) {
        this.escape = false;
        if (mode === Mode.Key) this.keyByte(b);
        continue;
      }
      if (b === BACKSLASH) {
        this.escape = true;
        if (mode === Mode.Key) {
          // Compared byte by byte, an escaped key never matches the name it spells for a parser.
          if (this.isObj.length <= this.path.length) this.escapedKey = true;
          this.keyByte(b);
        }
        continue;
      }
      if (b !== QUOTE) {
        if (mode === Mode.Key) this.keyByte(b);
        continue;
      }
      // Closing quote.
      if (mode === Mode.Key) this.closeKey();
      else if (mode === Mode.Skip) {
        this.mode = this.once ? Mode.Done : Mode.Scan;
        return i + 1;
      }
      this.mode = Mode.Scan;
    }
    return n;
  }

  private openContainer(obj: boolean, at: number): void {
    this.isObj.push(obj);
    this.keyOk.push(false);
    this.expectKey.push(obj);
    if (this.meter && this.isObj.length === 2 && !this.isObj[0]) this.meter.open(at);
  }

  private closeContainer(at: number): void {
    if (this.meter && this.isObj.length === 2) this.meter.close(at);
    this.isObj.pop();
    this.keyOk.pop();
    this.expectKey.pop();
  }

  private afterComma(): void {
    const top = this.isObj.length - 1;
    if (top >= 0 && this.isObj[top]) this.expectKey[top] = true;
  }

  private afterColon(): void {
    const top = this.isObj.length - 1;
    if (top >= 0) this.expectKey[top] = false;
  }

  private openString(): void {
    const top = this.isObj.length - 1;
    if (top >= 0 && this.isObj[top] && this.expectKey[top]) {
      this.mode = Mode.Key;
      this.keyPos = 0;
      // Only keys at depths the path reaches can matter.
      this.keyMatch = top < this.path.length && !this.wildcard[top];
      return;
    }
    this.mode = this.isTarget() ? Mode.Skip : Mode.Value;
  }

  private keyByte(b: number): void {
    if (!this.keyMatch) return;
    const want = this.path[this.isObj.length - 1]!;
    this.keyMatch = this.keyPos < want.length && want[this.keyPos] === b;
    this.keyPos++;
  }

  private closeKey(): void {
    const top = this.isObj.length - 1;
    this.keyOk[top] = this.keyMatch && this.keyPos === this.path[top]!.length;
    // The key just read completes the path: its value would be the target.
    if (this.isTarget()) this.pathKeys++;
  }

  /** Whether the open containers, with their current keys, are the path (by key, or any array element for "*"). */
  private isTarget(): boolean {
    const depth = this.isObj.length;
    if (depth !== this.path.length) return false;
    for (let d = 0; d < depth; d++) {
      if (this.wildcard[d] ? this.isObj[d] : !this.isObj[d] || !this.keyOk[d]) return false;
    }
    return true;
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
