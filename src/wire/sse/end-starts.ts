/**
 * Finds where a format's end event starts, for end events too long for the last-frame look
 * (`StreamEndRule.endStarts`: a Responses stream ends with the whole response). Every read is
 * searched natively for each start; a start cut by two reads is found in the few bytes around
 * their border, so nothing is copied but those.
 */
export class EndStartSearch {
  private readonly needles: readonly Buffer[];
  private readonly reach: number;
  private tail: Buffer = Buffer.alloc(0);
  /** An end event started in what was searched so far. */
  found = false;

  constructor(starts: readonly string[]) {
    ({ needles: this.needles, reach: this.reach } = compiled(starts));
  }

  push(chunk: Uint8Array): boolean {
    if (this.found || chunk.length === 0) return this.found;
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const border = Buffer.concat([this.tail, view.subarray(0, this.reach)]);
    this.found = this.needles.some((n) => view.includes(n) || border.includes(n));
    const keep = Math.min(this.reach, view.length);
    this.tail = Buffer.concat([
      this.tail.subarray(Math.max(0, this.tail.length + keep - this.reach)),
      view.subarray(view.length - keep),
    ]);
    return this.found;
  }
}

/** A rule's starts as bytes, made once per rule: every passthrough stream of its format searches them. */
const COMPILED = new WeakMap<readonly string[], { needles: readonly Buffer[]; reach: number }>();

function compiled(starts: readonly string[]): { needles: readonly Buffer[]; reach: number } {
  let c = COMPILED.get(starts);
  if (!c) {
    const needles = starts.map((s) => Buffer.from(s, "latin1"));
    c = { needles, reach: Math.max(...needles.map((n) => n.length)) - 1 };
    COMPILED.set(starts, c);
  }
  return c;
}

/** The read ends where a frame does (a blank line): nothing of the next frame is in it. */
export function endsFrame(chunk: Uint8Array): boolean {
  const n = chunk.length;
  return (
    n >= 2 &&
    chunk[n - 1] === 0x0a &&
    (chunk[n - 2] === 0x0a || (chunk[n - 2] === 0x0d && chunk[n - 3] === 0x0a))
  );
}
