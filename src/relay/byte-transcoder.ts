import type { ModelConfig } from "../config/types";
import type { RouterError } from "../ir";
import { JsonStringRewriter } from "../wire/json/string-rewriter";
import { tailComplete, type StreamEndRule } from "../wire/stream-end";
import { SseDataEditor } from "../wire/sse/data-rewriter";
import { lastFrame } from "../wire/sse/last-frame";
import { LineCap, lineTooLarge, MAX_LINE_BYTES } from "../wire/sse/line-cap";
import type { InboundCall, Format } from "../wire/format";
import type { Settled } from "./reads";
import type { ByteEditor } from "./pump";

/**
 * The byte editors of passthrough streams: the model name edited on the way (SSE data lines, or
 * Gemini's streamed JSON array), lines measured against the cap, and the stream judged at its end
 * by the format's completeness rule (wire/stream-end.ts), the same rule conversion decodes by.
 */
export function streamEditor(
  call: InboundCall,
  wire: Format,
  sse: boolean,
  failure: () => RouterError,
  model: ModelConfig,
): ByteEditor {
  const edit = wire.responseModel;
  if (sse) return sseEditor(new SseDataEditor(edit.sse, call.group), wire, failure, model);
  const array = call.stream && edit.jsonArray !== undefined;
  // The rewriter walks every byte of an array anyway: it measures its elements on the way.
  const json = new JsonStringRewriter(array ? edit.jsonArray! : edit.json, call.group, {
    once: !array,
    elementCap: array ? MAX_LINE_BYTES : undefined,
  });
  // A streamed JSON document (Gemini without alt=sse is one array) is whole only once it closed,
  // and an array (a stream) only when the format's rule also finds its finish in it.
  const seen = new LastBytes();
  const closed = () => lastByte(seen.last) === (array ? CLOSE_ARRAY : CLOSE_OBJECT);
  return {
    push: (chunk) => (lastByte(chunk) !== undefined && seen.keep(chunk), json.push(chunk)),
    end: () => EMPTY,
    // Mid-element there is no place for an error element: the client's connection is cut instead.
    oversized: () => json.oversized,
    opening: () => json.inFirstElement,
    complete: () => closed() && (!array || seen.complete(wire.streamEnd)),
    // A document that looks closed is most likely whole; only the upstream's close confirms it.
    settled: () => (closed() ? "closing" : undefined),
  };
}

/**
 * The SSE editor plus end-of-stream judgement: the last bytes are kept so the stream's end can be
 * judged by the format's rule, and a broken stream ends with the client format's own in-stream
 * error event.
 */
function sseEditor(
  inner: SseDataEditor,
  wire: Format,
  failure: () => RouterError,
  model: ModelConfig,
): ByteEditor {
  const lines = new LineCap();
  let oversized = false;
  const seen = new LastBytes();
  let state: Settled;
  const settle = settledBy(wire.streamEnd);
  return {
    push: (chunk) => {
      if (lines.over(chunk)) return ((oversized = true), EMPTY);
      const out = seen.keep(inner.push(chunk));
      state = settle(out, state);
      return out;
    },
    settled: () => state,
    end: () => seen.keep(inner.end()),
    // Over: the end event was the last frame of a read, which is the usual end.
    complete: () => state === "over" || seen.complete(wire.streamEnd),
    oversized: () => oversized,
    opening: () => lines.opening,
    // A blank line first: a stream cut inside a line has its event end there, so the error
    // event is read on its own instead of as more lines of the broken one.
    fail: () =>
      encoder.encode(
        "\n\n" + wire.streamError(oversized ? lineTooLarge(model.apiType) : failure()),
      ),
  };
}

/**
 * After each read: "over" once the format's end event is the read's last frame (nothing after it
 * matters); for a format without one, "closing" once its finish went through (only the close is
 * still due; reads.ts holds the last bytes for it). The finish is found by a native byte search
 * for its literal text, so a read costs no conversion to text.
 */
function settledBy(rule: StreamEndRule): (out: Uint8Array, was: Settled) => Settled {
  const final = rule.endEvent;
  if (final)
    return (out, was) =>
      out.length === 0 ? was : final.test(lastFrame(out) ?? "") ? "over" : undefined;
  const finish = rule.finishText;
  if (!finish) return (_, was) => was;
  return (out, was) => was ?? (view(out).includes(finish) ? "closing" : undefined);
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

const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const notSpace = (b: number) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09;

/** The last byte that is not JSON whitespace; scanned from the end, so it usually looks at one. */
function lastByte(chunk: Uint8Array): number | undefined {
  for (let i = chunk.length - 1; i >= 0; i--) if (notSpace(chunk[i]!)) return chunk[i];
  return undefined;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** The last `n` bytes of a chunk (all of it by default), as a Buffer view (no copy) for its byte search. */
function view(chunk: Uint8Array, n = chunk.length): Buffer {
  const from = Math.max(0, chunk.length - n);
  return Buffer.from(chunk.buffer, chunk.byteOffset + from, chunk.length - from);
}
