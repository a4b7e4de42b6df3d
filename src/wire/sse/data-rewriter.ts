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
 * Rewrites one string value in the JSON of the matching `data:` lines of raw SSE bytes and
 * copies every other byte as it came (CRLF, comments, keep-alives). Lines are the unit of work;
 * a line split across chunks is held until its end arrives, which costs the client nothing
 * because an SSE event is only usable once complete.
 */
export class SseDataEditor {
  private carry: Uint8Array | null = null;
  private event = "";
  private finished = false;

  constructor(
    private readonly rule: SseEditRule,
    private readonly replacement: string,
  ) {}

  push(chunk: Uint8Array): Uint8Array {
    if (this.finished) return chunk;
    const buf = this.carry ? concat([this.carry, chunk]) : chunk;
    this.carry = null;
    const parts: Uint8Array[] = [];
    let runStart = 0; // start of unchanged bytes not yet emitted
    let lineStart = 0;
    while (lineStart < buf.length) {
      const nl = buf.indexOf(LF, lineStart);
      if (nl < 0) break;
      const edited = this.finished ? null : this.editLine(buf.subarray(lineStart, nl));
      if (edited) {
        if (lineStart > runStart) parts.push(buf.subarray(runStart, lineStart));
        parts.push(edited);
        runStart = nl;
      }
      lineStart = nl + 1;
    }
    if (this.finished) lineStart = buf.length; // nothing further needs to be held back
    if (lineStart < buf.length) this.carry = buf.slice(lineStart);
    if (lineStart > runStart) parts.push(buf.subarray(runStart, lineStart));
    return parts.length === 0 ? EMPTY : concat(parts);
  }

  end(): Uint8Array {
    const rest = this.carry ?? EMPTY;
    this.carry = null;
    return rest;
  }

  private editLine(line: Uint8Array): Uint8Array | null {
    // Blank lines end an event and reset its name; `event:` lines set it.
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    if (end === 0) {
      this.event = "";
      return null;
    }
    if (startsWith(line, EVENT)) {
      this.event = decoder.decode(line.subarray(EVENT.length, end)).trim();
      return null;
    }
    if (!startsWith(line, DATA) || (this.rule.event !== undefined && this.event !== this.rule.event)) return null;
    // The data prefix starts the line, so the rewriter scanning the whole line is safe.
    const rewriter = new JsonStringRewriter(this.rule.path, this.replacement, { once: true });
    const edited = rewriter.push(line);
    if (rewriter.done && this.rule.onlyFirst) this.finished = true;
    return edited === line ? null : edited;
  }
}

const EMPTY = new Uint8Array(0);

function startsWith(buf: Uint8Array, prefix: Uint8Array): boolean {
  if (buf.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[i] !== prefix[i]) return false;
  return true;
}
