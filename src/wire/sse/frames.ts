import { createParser, type EventSourceParser } from "eventsource-parser";
import type { StreamFrame } from "../codec";

/** Frame name for text that arrived outside SSE framing (Gemini may end a stream with a bare JSON error). */
export const RAW_TAIL = "llm-router:raw";

/**
 * Upstream SSE text → frames, using a well-kept parser for the framing rules (CRLF, comments,
 * multi-line data, retry and id fields). Lines that are not SSE at all are collected and
 * handed on as one RAW_TAIL frame at the end, so a codec can recognise an unframed error.
 * The parser drops such lines without a trace when they span reads, so they are found here.
 */
export function sseFrameStream(): TransformStream<string, StreamFrame> {
  const framer = new SseFramer();
  return new TransformStream({
    transform: (chunk, controller) => framer.push(chunk).forEach((f) => controller.enqueue(f)),
    flush: (controller) => framer.end().forEach((f) => controller.enqueue(f)),
  });
}

/** The same as sseFrameStream, as a plain object for callers that drive their own loop. */
export class SseFramer {
  private pending: StreamFrame[] = [];
  private readonly parser: EventSourceParser = createParser({
    onEvent: (e) =>
      this.pending.push(e.event ? { event: e.event, data: e.data } : { data: e.data }),
  });
  private readonly raw = new RawLines();

  push(chunk: string): StreamFrame[] {
    this.parser.feed(chunk);
    this.raw.feed(chunk);
    return this.take();
  }

  end(): StreamFrame[] {
    // A final event without its blank line still counts (some servers close right after it).
    this.parser.feed("\n\n");
    const frames = this.take();
    const tail = this.raw.end();
    if (tail) frames.push({ event: RAW_TAIL, data: tail });
    return frames;
  }

  private take(): StreamFrame[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

const FIELDS = ["data:", "event:", "id:", "retry:"];

/** Whether the line starting at `i` is an SSE field or comment: judged by its first character first. */
function sseAt(chunk: string, i: number): boolean {
  switch (chunk.charCodeAt(i)) {
    case 58: // ":" comment
      return true;
    case 100: // d
      return chunk.startsWith("data:", i);
    case 101: // e
      return chunk.startsWith("event:", i);
    case 105: // i
      return chunk.startsWith("id:", i);
    case 114: // r
      return chunk.startsWith("retry:", i);
    default:
      return false;
  }
}

/**
 * Collects lines that cannot be SSE. A line is judged by its first characters, so SSE lines
 * (almost all of them) are never copied; only suspect lines are kept whole.
 */
class RawLines {
  private lines: string[] = [];
  private fragments: string[] = [];
  private head = "";
  private sse = false; // the line in progress is known to be SSE
  private raw = false; // … or known not to be

  feed(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf("\n", start);
      const end = nl < 0 ? chunk.length : nl;
      const fresh = this.head === "" && !this.sse && !this.raw;
      // Blank lines (event separators, "\r" with CRLF framing) are SSE: nothing to keep.
      if (fresh && (end === start || (end - start === 1 && chunk.charCodeAt(start) === 13))) {
        // nothing
      } else if (fresh && end - start >= 7) {
        // Fast path: a line that starts in this chunk is judged in place, without copying it.
        if (sseAt(chunk, start)) this.sse = true;
        else (this.fragments.push(chunk.slice(start, end)), (this.raw = true));
      } else {
        this.segment(chunk.slice(start, end));
      }
      if (nl < 0) return;
      this.endLine();
      start = nl + 1;
    }
  }

  end(): string {
    this.endLine();
    return this.lines.join("\n").trim();
  }

  private segment(text: string): void {
    if (this.sse || text === "") return;
    this.fragments.push(text);
    if (this.raw || this.head.length >= 7) return;
    this.head += text.slice(0, 7 - this.head.length);
    if (this.head.startsWith(":") || FIELDS.some((f) => this.head.startsWith(f))) {
      this.sse = true;
      this.fragments = [];
    }
  }

  private endLine(): void {
    if (!this.sse && this.fragments.length) {
      const line = this.fragments.join("").replace(/\r$/, "");
      // A field name alone ("data") is SSE too: a field with an empty value.
      if (line.trim() !== "" && !/^(data|event|id|retry)$/.test(line)) this.lines.push(line);
      this.fragments = [];
    }
    this.head = "";
    this.sse = false;
    this.raw = false;
  }
}

/** An SSE frame with only data (OpenAI, Gemini). Gemini's own server separates frames with CRLF. */
export function sseData(json: string, crlf = false): string {
  return crlf ? `data: ${json}\r\n\r\n` : `data: ${json}\n\n`;
}

/** An SSE frame with an event name (Anthropic: the SDK dispatches on it). */
export function sseEvent(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}

/** Characters JSON.stringify would escape in a string (lone surrogates among them). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * JSON.stringify for a string, byte for byte, about twice as fast for the plain text most
 * streamed tokens are: such a string only needs its quotes.
 */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}
