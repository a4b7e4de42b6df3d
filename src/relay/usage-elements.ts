import { ElementMeter } from "../wire/json/element-meter";
import { concat } from "../wire/json/string-rewriter";
import { MAX_LINE_BYTES } from "../wire/sse/line-cap";
import type { UsageKeys, UsageTally } from "./usage-keys";

const EMPTY = new Uint8Array(0);

/**
 * Reads the usage of a streamed JSON array's elements (Gemini's stream without SSE). It is the
 * element meter of the walk the model-name rewriter makes over every byte anyway, so it learns
 * where each element opens and closes for free: an element's bytes are kept by reference until it
 * closes, then searched natively for a usage key, and parsed only when they hold one. An element
 * past the cap is not read (the meter ends such a stream anyway).
 */
export class UsageElements extends ElementMeter {
  private readonly keys: UsageKeys;
  /** The read being walked. */
  private chunk: Uint8Array = EMPTY;
  /** Where the open element starts in it (-1: outside one), and its pieces from earlier reads. */
  private start = -1;
  private pieces: Uint8Array[] = [];
  private size = 0;

  constructor(
    readonly tally: UsageTally,
    private readonly limit = MAX_LINE_BYTES,
  ) {
    super(limit);
    this.keys = tally.keys;
  }

  /** The read the rewriter walks next. */
  walking(chunk: Uint8Array): void {
    this.chunk = chunk;
  }

  override reset(): void {
    super.reset();
    this.drop();
  }

  override open(at: number): void {
    super.open(at);
    this.drop();
    this.start = at;
  }

  override close(at: number): void {
    const inside = this.inElement;
    super.close(at);
    if (!inside || this.start < 0) return;
    const last = this.chunk.subarray(this.start, at + 1);
    const whole = this.size + last.length <= this.limit;
    const element = whole ? concat([...this.pieces, last]) : EMPTY;
    this.drop();
    const b = Buffer.from(element.buffer, element.byteOffset, element.length);
    if (whole && this.keys.holds(b, 0, b.length)) this.tally.read(element);
  }

  override endRead(n: number): void {
    super.endRead(n);
    if (this.start < 0) return;
    const piece = this.chunk.subarray(this.start, n);
    this.size += piece.length;
    // Past the cap nothing more is kept: the element is not read.
    if (this.size <= this.limit) this.pieces.push(piece);
    else this.pieces = [];
    this.start = 0;
  }

  private drop(): void {
    this.start = -1;
    this.pieces = [];
    this.size = 0;
  }
}

/**
 * A streamed answer that came as one JSON document (an upstream that answered a stream request
 * whole): kept by reference up to the cap and read as a whole answer at its end.
 */
export class UsageDocument {
  private pieces: Uint8Array[] = [];
  private size = 0;

  constructor(
    readonly tally: UsageTally,
    private readonly limit = MAX_LINE_BYTES,
  ) {}

  push(chunk: Uint8Array): void {
    this.size += chunk.length;
    if (this.size <= this.limit) this.pieces.push(chunk);
    else this.pieces = [];
  }

  end(): void {
    if (this.size > this.limit || this.pieces.length === 0) return;
    this.tally.readAnswer(concat(this.pieces));
    this.pieces = [];
  }
}
