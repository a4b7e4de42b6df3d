import { concat, JsonStringRewriter, type KeyPath } from "../json/string-rewriter";

/**
 * Which SSE data payloads to edit during passthrough, and where the value sits in their JSON.
 * `event` limits the edit to frames of that event type (Anthropic names the model only in
 * `message_start`); `onlyFirst` stops looking once one frame was edited.
 */
export interface SseEditRule {
  event?: string;
  path: KeyPath;
  onlyFirst?: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const DATA = new TextEncoder().encode("data:");
const EVENT = new TextEncoder().encode("event:");
const decoder = new TextDecoder();

/**
 * A TransformStream over raw SSE bytes that rewrites one string value in the JSON of the
 * matching `data:` lines and copies every other byte as it came (CRLF, comments, keep-alives).
 * Lines are the unit of work; a line split across chunks is held until its end arrives,
 * which costs the client nothing because an SSE event is only usable once complete.
 */
export function sseDataRewriter(rule: SseEditRule, replacement: string): TransformStream<Uint8Array, Uint8Array> {
  let carry: Uint8Array | null = null;
  let event = "";
  let finished = false;

  function editLine(line: Uint8Array): Uint8Array | null {
    // Lines that end an event reset its name; `event:` lines set it.
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    if (end === 0) {
      event = "";
      return null;
    }
    if (startsWith(line, EVENT)) {
      event = decoder.decode(line.subarray(EVENT.length, end)).trim();
      return null;
    }
    if (!startsWith(line, DATA) || (rule.event !== undefined && event !== rule.event)) return null;
    const rewriter = new JsonStringRewriter(rule.path, replacement, { once: true });
    const edited = rewriter.push(line);
    if (rewriter.done && rule.onlyFirst) finished = true;
    return edited === line ? null : edited;
  }

  return new TransformStream({
    transform(chunk, controller) {
      if (finished) return controller.enqueue(chunk);
      const buf = carry ? concat([carry, chunk]) : chunk;
      carry = null;
      const parts: Uint8Array[] = [];
      let runStart = 0; // start of unchanged bytes not yet emitted
      let lineStart = 0;
      while (lineStart < buf.length) {
        const nl = buf.indexOf(LF, lineStart);
        if (nl < 0) break;
        // The data prefix starts the line, so the rewriter scanning the whole line is safe.
        const edited = finished ? null : editLine(buf.subarray(lineStart, nl));
        if (edited) {
          if (lineStart > runStart) parts.push(buf.subarray(runStart, lineStart));
          parts.push(edited);
          runStart = nl;
        }
        lineStart = nl + 1;
      }
      if (finished) lineStart = buf.length; // nothing further needs to be held back
      if (lineStart < buf.length) carry = buf.slice(lineStart);
      if (lineStart > runStart) parts.push(buf.subarray(runStart, lineStart));
      if (parts.length) controller.enqueue(concat(parts));
    },
    flush(controller) {
      if (carry) controller.enqueue(carry);
    },
  });
}

function startsWith(buf: Uint8Array, prefix: Uint8Array): boolean {
  if (buf.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[i] !== prefix[i]) return false;
  return true;
}
