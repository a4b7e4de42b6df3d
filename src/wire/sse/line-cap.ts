/**
 * The longest SSE line, or element of Gemini's streamed JSON array, the router takes from an
 * upstream. Real frames are kilobytes (a big tool call's arguments stream in pieces); a line
 * without end is either broken or hostile, and a parser that waits for its end holds all of it
 * (one 200 MB line once took a converting router to 1.6 GB).
 */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

import { routerError, type RouterError } from "../../ir/error";

/** How an attempt ends whose upstream sent a line past the cap: a 502, or the in-stream error. */
export function lineTooLarge(upstream: string): RouterError {
  return routerError(
    "bad_gateway",
    `upstream (${upstream}) sent a stream line or element larger than ${MAX_LINE_BYTES} bytes`,
  );
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Measures the line a stream is in the middle of, across reads, without looking at each byte: a
 * read that ends at a line end (nearly all of them) costs one comparison, found by a search from
 * its end; only a read with no line end at all is searched whole, and its length added. A line
 * that starts and ends within one read is no longer than the read, so only a read longer than the
 * cap has its lines measured one by one.
 */
export class LineCap {
  /** Bytes of the unfinished line that earlier reads ended in. */
  private pending = 0;
  private ended = false;

  constructor(private readonly max = MAX_LINE_BYTES) {}

  /** Takes the next read; true once a line passed the cap (then the stream is to be ended). */
  over(chunk: Uint8Array): boolean {
    if (chunk.length > this.max && this.holdsLongLine(chunk)) return true;
    let end = LF;
    let last = chunk.lastIndexOf(LF);
    // SSE also allows a lone CR as line end; a CRLF stream has LFs and only gets here when a
    // read ends between the two.
    if (last < 0) ((end = CR), (last = chunk.lastIndexOf(CR)));
    if (last < 0) {
      this.pending += chunk.length;
      return this.pending > this.max;
    }
    this.ended = true;
    // The read's first line (with what earlier reads left open of it) ends at its first line end.
    if (
      (this.pending > 0 || chunk.length > this.max) &&
      this.pending + chunk.indexOf(end) > this.max
    )
      return true;
    this.pending = chunk.length - last - 1;
    return this.pending > this.max;
  }

  /** No line has ended yet, and one has begun: the stream is still in its first line. */
  get opening(): boolean {
    return !this.ended && this.pending > 0;
  }

  /** Whether a line between two of the read's line ends passes the cap. */
  private holdsLongLine(chunk: Uint8Array): boolean {
    let from = chunk.indexOf(LF);
    while (from >= 0) {
      const next = chunk.indexOf(LF, from + 1);
      if (next < 0) return false;
      if (next - from - 1 > this.max) return true;
      from = next;
    }
    return false;
  }
}
