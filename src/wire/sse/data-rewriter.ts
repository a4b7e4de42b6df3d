import { concat, JsonStringRewriter, type KeyPath } from "../json/string-rewriter";
import { LineShape } from "./line-shape";

/**
 * Which SSE data payloads to edit during passthrough, and where the value sits in their JSON.
 * `onlyFirst` stops looking once one frame was edited (Anthropic names the model only in
 * `message_start`, so the rest of its stream is copied without a look).
 */
export interface SseEditRule {
  path: KeyPath;
  onlyFirst?: boolean;
}

const LF = 0x0a;
const DATA = Buffer.from("data:");
const EMPTY = new Uint8Array(0);

/**
 * Rewrites one string value in the JSON of `data:` lines of raw SSE bytes and copies every other
 * byte as it came (CRLF, comments, keep-alives), without holding any back.
 *
 * This runs on every chunk of every passthrough stream, so the bytes are searched natively for the
 * quoted last key of the path (`"model"`), and only the data lines holding it are walked in JS, from
 * their start (the key path is checked, so a nested key of the same name is left alone). A quoted
 * key cannot occur unescaped inside a JSON string, so lines without it need no look at all. A data
 * line that a chunk cuts in two is walked as it streams, because its key may be in the next chunk.
 * A whole line shaped like the last one walked is not walked at all (line-shape.ts).
 */
export class SseDataEditor {
  private readonly needle: Buffer;
  private readonly rewriter: JsonStringRewriter;
  /** Bytes of a line start too short to tell whether it is a data line. */
  private carry: Uint8Array | null = null;
  /** Inside a line that began in an earlier chunk; `walking` when it is a data line being rewritten. */
  private inLine = false;
  private walking = false;
  private finished = false;
  /** The shape of the last whole line walked, while its lines keep the same. */
  private shape: LineShape | undefined;

  constructor(
    private readonly rule: SseEditRule,
    replacement: string,
  ) {
    this.needle = Buffer.from(JSON.stringify(rule.path[rule.path.length - 1]));
    this.rewriter = new JsonStringRewriter(rule.path, replacement, { once: true });
  }

  push(chunk: Uint8Array): Uint8Array {
    if (this.finished) return chunk;
    const buf = this.carry ? concat([this.carry, chunk]) : chunk;
    this.carry = null;
    const view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
    const out = new Output(buf, view);
    let from = 0;
    if (this.inLine) from = this.continueLine(view, out);

    // Whole lines: jump from one occurrence of the key to the next.
    while (from < buf.length && !this.finished) {
      const hit = view.indexOf(this.needle, from);
      if (hit < 0) break;
      const lineStart = view.lastIndexOf(LF, hit) + 1;
      const lineEnd = view.indexOf(LF, hit);
      if (lineEnd < 0) break; // the line is unfinished: see below
      if (isData(view, lineStart)) this.rewriteLine(view, lineStart, lineEnd, hit, out);
      from = lineEnd + 1;
    }
    const tail = Math.max(from, view.lastIndexOf(LF) + 1);
    if (!this.finished && tail < buf.length) this.startLine(view, tail, out);
    return out.result();
  }

  end(): Uint8Array {
    const rest = this.carry ?? EMPTY;
    this.carry = null;
    return rest;
  }

  /** The rest of a line begun in an earlier chunk; returns where the next line starts. */
  private continueLine(view: Buffer, out: Output): number {
    const nl = view.indexOf(LF);
    const end = nl < 0 ? view.length : nl;
    if (this.walking) this.walk(view.subarray(0, end), 0, out);
    if (nl < 0) return view.length;
    this.inLine = this.walking = false;
    return nl + 1;
  }

  /** An unfinished last line: a data line is walked now, the rest passes; a too-short start waits. */
  private startLine(view: Buffer, lineStart: number, out: Output): void {
    const rest = view.length - lineStart;
    if (rest < DATA.length && DATA.subarray(0, rest).equals(view.subarray(lineStart))) {
      this.carry = new Uint8Array(view.subarray(lineStart)); // a copy: the chunk is not ours to keep
      out.replace(lineStart, view.length, EMPTY);
      return;
    }
    this.inLine = true;
    this.walking = isData(view, lineStart);
    if (!this.walking) return;
    this.rewriter.reset();
    this.walk(view.subarray(lineStart), lineStart, out);
  }

  /** A whole data line whose first occurrence of the quoted key is at `keyAt`. */
  private rewriteLine(view: Buffer, start: number, end: number, keyAt: number, out: Output): void {
    let found = this.shape?.find(view, start, end, keyAt);
    if (!found) {
      found = this.rewriter.locate(view, start, end) ?? undefined;
      // A stream that stops after one edit has no later line to look at.
      if (!this.rule.onlyFirst)
        this.shape =
          found &&
          LineShape.learn(view, start, end, this.needle, found, this.rule.path.length === 1);
    }
    if (!found) return;
    out.replace(found[0], found[1], this.rewriter.replacementBytes);
    if (this.rule.onlyFirst) this.finished = true;
  }

  /** Feeds (part of) a data line to the rewriter; its output replaces those bytes if it differs. */
  private walk(bytes: Uint8Array, start: number, out: Output): void {
    const edited = this.rewriter.push(bytes);
    if (edited !== bytes) out.replace(start, start + bytes.length, edited);
    if (this.rewriter.done) {
      this.walking = false;
      if (this.rule.onlyFirst) this.finished = true;
    }
  }
}

function isData(view: Buffer, at: number): boolean {
  return (
    view.length - at >= DATA.length &&
    view.compare(DATA, 0, DATA.length, at, at + DATA.length) === 0
  );
}

/**
 * The edited chunk: the input with some ranges replaced, assembled once into one new buffer with
 * native copies (no intermediate pieces), or the input itself when nothing changed.
 */
class Output {
  private edits: (number | Uint8Array)[] = [];

  /** `input` is a Buffer view of `original`, which is what an unchanged chunk returns as. */
  constructor(
    private readonly original: Uint8Array,
    private readonly input: Buffer,
  ) {}

  /** Ranges must come in order and not overlap. */
  replace(start: number, end: number, bytes: Uint8Array): void {
    this.edits.push(start, end, bytes);
  }

  result(): Uint8Array {
    const edits = this.edits;
    if (edits.length === 0) return this.original;
    let size = this.input.length;
    for (let i = 0; i < edits.length; i += 3)
      size +=
        (edits[i + 2] as Uint8Array).length - ((edits[i + 1] as number) - (edits[i] as number));
    const out = Buffer.allocUnsafe(size);
    let from = 0;
    let at = 0;
    for (let i = 0; i < edits.length; i += 3) {
      const bytes = edits[i + 2] as Uint8Array;
      at += this.input.copy(out, at, from, edits[i] as number);
      out.set(bytes, at);
      at += bytes.length;
      from = edits[i + 1] as number;
    }
    this.input.copy(out, at, from);
    return out;
  }
}
