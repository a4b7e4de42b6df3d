import { routerError, type RouterError, type Usage } from "../ir";
import type { Format, InboundCall, UsageReading } from "../wire/format";
import { JsonStringRewriter } from "../wire/json/string-rewriter";
import { SseDataEditor } from "../wire/sse/data-rewriter";
import { EndStartSearch, endsFrame } from "../wire/sse/end-starts";
import { lastFrame } from "../wire/sse/last-frame";
import { LineCap, lineTooLarge, MAX_LINE_BYTES } from "../wire/sse/line-cap";
import { tailComplete, type StreamEndRule } from "../wire/stream-end";
import type { Phase } from "../wire/codec";
import type { Transcoder, Verdict } from "./pump";
import { UsageDocument, UsageElements } from "./usage-elements";
import { UsageTally } from "./usage-keys";
import { UsageLines } from "./usage-lines";
import type { Writes } from "./writes";

/** A passthrough stream: the upstream's bytes, in the client's format already. */
export interface ByteStream {
  call: InboundCall;
  /** The format of both sides. */
  format: Format;
  /** The upstream answered SSE (else a JSON document, or Gemini's streamed JSON array). */
  sse: boolean;
  /** The upstream's format, named in errors. */
  upstream: string;
  /** What a stream that broke off reports in-stream (a time limit that ran out, or the break). */
  broken: () => RouterError;
  /** Read the answer's usage on the way: only when someone listens. */
  usage?: StreamUsage;
}

export interface StreamUsage {
  reading: UsageReading;
  /** The router asked the upstream for usage its client did not: the frames only that brought are dropped. */
  dropExtra: boolean;
}

/** A passthrough stream's transcoder, which also tells the usage the stream carried. */
export interface ByteTranscoder extends Transcoder {
  /** The usage read so far (the answer's, once the stream ended); undefined when none was, or none asked. */
  usage(): Usage | undefined;
}

/**
 * The transcoders of passthrough streams: the model name edited on the way (SSE data lines, or
 * Gemini's streamed JSON array), lines measured against the cap, and the stream judged at its end
 * by the format's completeness rule (wire/stream-end.ts), the same rule conversion decodes by.
 */
export function byteTranscoder(s: ByteStream): ByteTranscoder {
  return s.sse ? new SseBytes(s) : new JsonBytes(s);
}

/**
 * SSE bytes with the last of them kept, so the stream's end can be judged by the format's rule;
 * a broken stream ends with the client format's own in-stream error event.
 */
class SseBytes implements ByteTranscoder {
  private readonly editor: SseDataEditor;
  private readonly usageLines: UsageLines | undefined;
  private readonly lines = new LineCap();
  private readonly seen = new LastBytes();
  private readonly rule: StreamEndRule;
  private readonly next: (out: Uint8Array, was: Phase) => Phase;
  /** Where a long end event starts, for a format that has them (Responses). */
  private readonly endStart: EndStartSearch | undefined;
  private state: Phase = "open";
  private oversized = false;
  /** A line ended within the cap: the stream's first line went through. */
  private started = false;

  constructor(private readonly s: ByteStream) {
    this.editor = new SseDataEditor(s.format.responseModel.sse, s.call.group);
    this.rule = s.format.streamEnd;
    this.next = phaseBy(this.rule);
    this.endStart = this.rule.endStarts && new EndStartSearch(this.rule.endStarts);
    const u = s.usage;
    this.usageLines = u && new UsageLines(new UsageTally(u.reading), u.dropExtra);
  }

  push(chunk: Uint8Array, out: Writes): void {
    if (this.lines.over(chunk)) {
      this.oversized = true;
      return;
    }
    if (!this.started) this.started = !this.lines.opening;
    const edited = this.seen.keep(this.readUsage(this.editor.push(chunk)));
    this.state = this.endStart?.push(edited)
      ? endsFrame(edited)
        ? "over"
        : this.state
      : this.next(edited, this.state);
    out.add(edited);
  }

  phase(): Phase {
    return this.oversized ? "over" : this.state;
  }

  opening(): boolean {
    return !this.started;
  }

  end(_broken: boolean, out: Writes): Verdict {
    out.add(this.seen.keep(this.readUsage(this.editor.end())));
    if (this.usageLines) out.add(this.seen.keep(this.usageLines.end()));
    // Over: the end event was the last frame of a read, which is the usual end.
    if (!this.oversized && (this.state === "over" || this.seen.complete(this.rule))) return "done";
    // A blank line first: a stream cut inside a line has its event end there, so the error
    // event is read on its own instead of as more lines of the broken one.
    const error = this.oversized ? lineTooLarge(this.s.upstream) : this.s.broken();
    out.error("\n\n" + this.s.format.streamError(error));
    return "broken";
  }

  refusal(): RouterError {
    return refused(this.oversized, this.s.upstream);
  }

  usage(): Usage | undefined {
    return this.usageLines?.tally.usage;
  }

  private readUsage(bytes: Uint8Array): Uint8Array {
    return this.usageLines && bytes.length > 0 ? this.usageLines.push(bytes) : bytes;
  }
}

/**
 * A JSON document, or (streamed) a JSON array of them, edited by a rewriter that walks every byte
 * anyway and so also measures the array's elements. A stream that breaks between two elements
 * ends with the format's error body as its last element, as conversion ends it; mid-element there
 * is no place for one, and the client's connection is cut instead.
 */
class JsonBytes implements ByteTranscoder {
  private readonly json: JsonStringRewriter;
  /** The usage of the array's elements, or of the one document. */
  private readonly elements: UsageElements | undefined;
  private readonly document: UsageDocument | undefined;
  private readonly array: boolean;
  private readonly seen = new LastBytes();
  /** The array's first element ended within the cap (or there is no array). */
  private started = false;

  constructor(private readonly s: ByteStream) {
    const edit = s.format.responseModel;
    this.array = s.call.stream && edit.jsonArray !== undefined;
    const tally = s.usage && new UsageTally(s.usage.reading);
    this.elements = tally && this.array ? new UsageElements(tally) : undefined;
    this.document = tally && !this.array ? new UsageDocument(tally) : undefined;
    this.json = new JsonStringRewriter(this.array ? edit.jsonArray! : edit.json, s.call.group, {
      once: !this.array,
      elementCap: this.array ? MAX_LINE_BYTES : undefined,
      meter: this.elements,
    });
  }

  push(chunk: Uint8Array, out: Writes): void {
    if (lastByte(chunk) !== undefined) this.seen.keep(chunk);
    this.elements?.walking(chunk);
    this.document?.push(chunk);
    const edited = this.json.push(chunk);
    if (this.json.oversized) return;
    if (!this.started) this.started = !this.json.firstElementPending;
    out.add(edited);
  }

  // A document that looks closed is most likely whole; only the upstream's close confirms it.
  phase(): Phase {
    return this.json.oversized ? "over" : this.closed() ? "closing" : "open";
  }

  opening(): boolean {
    return !this.started;
  }

  // A streamed JSON document is whole only once it closed, and an array (a stream) only when the
  // format's rule also finds its finish in it.
  end(_broken: boolean, out: Writes): Verdict {
    this.document?.end();
    const whole =
      !this.json.oversized &&
      this.closed() &&
      (!this.array || this.seen.complete(this.s.format.streamEnd));
    if (whole) return "done";
    const last = lastByte(this.seen.last);
    const between = last === OPEN_ARRAY || last === COMMA || last === CLOSE_OBJECT;
    if (this.array && !this.json.oversized && !this.json.inElement && between) {
      const error = JSON.stringify(this.s.format.errorBody(this.s.broken()));
      out.error(`${last === CLOSE_OBJECT ? "," : ""}${error}]`);
    }
    return "broken";
  }

  refusal(): RouterError {
    return refused(this.json.oversized, this.s.upstream);
  }

  usage(): Usage | undefined {
    return (this.elements ?? this.document)?.tally.usage;
  }

  private closed(): boolean {
    return lastByte(this.seen.last) === (this.array ? CLOSE_ARRAY : CLOSE_OBJECT);
  }
}

/** Nothing was committed: a first line past the cap, or an upstream that ended inside it. */
function refused(oversized: boolean, upstream: string): RouterError {
  if (oversized) return lineTooLarge(upstream);
  return routerError("bad_gateway", `upstream (${upstream}) closed before sending its answer`);
}

/**
 * After each read: "over" once the format's end event is the read's last frame (nothing after it
 * matters); for a format without one, "closing" once its finish went through (only the close is
 * still due; the pump holds the last bytes for it). The finish is found by a native byte search
 * for its literal text, so a read costs no conversion to text.
 */
function phaseBy(rule: StreamEndRule): (out: Uint8Array, was: Phase) => Phase {
  const final = rule.endEvent;
  if (final)
    return (out, was) =>
      out.length === 0 ? was : final.test(lastFrame(out) ?? "") ? "over" : "open";
  const finish = rule.finishText;
  if (!finish) return (_, was) => was;
  return (out, was) => (was !== "open" ? was : view(out).includes(finish) ? "closing" : "open");
}

/** How far back from its end a stream is judged: the end event and the finish are in its last frames. */
const TAIL_BYTES = 8192;
/** The end event is always in the last read's last bytes; a first, cheaper look there. */
const NEAR_BYTES = 1024;

/** The last two non-empty reads of a stream, by reference, for the verdict at its end. */
class LastBytes {
  last: Uint8Array = EMPTY;
  private previous: Uint8Array = EMPTY;

  keep(out: Uint8Array): Uint8Array {
    if (out.length) ((this.previous = this.last), (this.last = out));
    return out;
  }

  /**
   * The format's verdict on the stream's last TAIL_BYTES. The rule only finds more in more text,
   * so the last read's end is looked at first, and the two reads are joined only when it is not
   * enough.
   */
  complete(rule: StreamEndRule): boolean {
    if (tailComplete(rule, view(this.last, NEAR_BYTES).toString("latin1"))) return true;
    const more = view(this.last, TAIL_BYTES);
    if (more.length === TAIL_BYTES || this.previous.length === 0)
      return more.length > NEAR_BYTES && tailComplete(rule, more.toString("latin1"));
    return tailComplete(
      rule,
      Buffer.concat([view(this.previous, TAIL_BYTES - more.length), more]).toString("latin1"),
    );
  }
}

const OPEN_ARRAY = 0x5b;
const COMMA = 0x2c;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const notSpace = (b: number) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09;

/** The last byte that is not JSON whitespace; scanned from the end, so it usually looks at one. */
function lastByte(chunk: Uint8Array): number | undefined {
  for (let i = chunk.length - 1; i >= 0; i--) if (notSpace(chunk[i]!)) return chunk[i];
  return undefined;
}

const EMPTY = new Uint8Array(0);

/** The last `n` bytes of a chunk (all of it by default), as a Buffer view (no copy) for its byte search. */
function view(chunk: Uint8Array, n = chunk.length): Buffer {
  const from = Math.max(0, chunk.length - n);
  return Buffer.from(chunk.buffer, chunk.byteOffset + from, chunk.length - from);
}
