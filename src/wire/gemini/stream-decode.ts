import { routerError, type Finish, type StreamEvent } from "../../ir";
import type { CodecContext, Settled, StreamDecoder, StreamFrame } from "../codec";
import { synthId } from "../ids";
import { FrameTemplate, LEARN_TRIES, type HolePath } from "../json/frame-template";
import { isObject, looseString, type Json } from "../read";
import { RAW_TAIL } from "../sse/frames";
import { streamComplete } from "../stream-end";
import { decodeRpcStatus } from "./error-decode";
import { decodeBlockReason, decodeFinish } from "./finish";
import { closePartial, newPartState, decodePart, type PartState } from "./part-decode";
import { field } from "./proto-json";
import { GEMINI_STREAM_END } from "./stream-end";
import { decodeUsage } from "./usage";

/**
 * Upstream Gemini stream → IR events (§3.2). A frame is one SSE `data:` payload or one element
 * of the streamed JSON array; each is a whole GenerateContentResponse whose parts are deltas.
 * Gemini has no end marker but the finishReason: it is held until the connection closes (usage
 * may still follow), and a stream that closes without one is a failure, never a clean stop.
 */
export function createStreamDecoder(ctx: CodecContext): StreamDecoder {
  return new GeminiStreamDecoder(ctx);
}

class GeminiStreamDecoder implements StreamDecoder {
  private readonly parts: PartState;
  private started = false;
  private finishRaw?: string;
  private blocked?: Finish;
  private sawTool = false;
  /** After an error nothing more is reported: the client stream is over. */
  private failed = false;
  private usageSent = false;
  /**
   * The latest usageMetadata after the first, converted once at the end (see noteUsage); when
   * it came through a template instead, that template and the chunk's counts.
   */
  private lastUsage: unknown;
  private lastKnown?: { usage: unknown; counts: readonly string[] };
  private lastValues?: readonly string[];
  /** The bytes this stream's text chunks repeat, and their usageMetadata: the next ones are read without a full parse. */
  private textChunk?: {
    bytes: FrameTemplate;
    usage: unknown;
    counts: readonly string[];
    counted: boolean;
  };
  private learnt = 0;

  constructor(private readonly ctx: CodecContext) {
    this.parts = newPartState(ctx);
  }

  settled(): Settled {
    if (this.failed) return "over";
    return this.finishRaw !== undefined || this.blocked ? "closing" : undefined;
  }

  push(frame: StreamFrame): StreamEvent[] {
    if (this.failed) return [];
    const text = frame.data.trim();
    if (text === "" || (frame.event !== RAW_TAIL && text === "[DONE]")) return [];
    const known = this.textChunk;
    if (known && frame.event === undefined) {
      const values = known.bytes.match(text);
      if (values) {
        const out: StreamEvent[] = values[0] ? [{ type: "text", text: values[0] }] : [];
        if (known.usage === undefined) return out;
        // Once the first usage went out, only the last counts matter: they are put together at the end.
        if (this.usageSent) {
          if (known.counted) ((this.lastKnown = known), (this.lastValues = values));
        } else this.noteUsage(withCounts(known.usage, known.counts, values), out);
        return out;
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.fail(`upstream (gemini): unreadable stream chunk: ${text.slice(0, 200)}`);
    }
    // Array mode can deliver an error wrapped in a one-element array.
    if (!Array.isArray(json)) {
      const out = this.chunk(json);
      if (
        frame.event === undefined &&
        this.learnt < LEARN_TRIES &&
        !this.failed &&
        isPlainText(json)
      ) {
        this.learnt++;
        const usage = field(json as Json, "usageMetadata");
        let counts = isObject(usage)
          ? RUNNING_COUNTS.filter((k) => typeof usage[k] === "number")
          : [];
        let bytes = FrameTemplate.learn(text, json, [
          TEXT,
          ...counts.map((k) => ["usageMetadata", k]),
        ]);
        // A count equal to another number in the chunk (the total while it is still the prompt's) cannot be a hole: keep them fixed.
        if (!bytes && counts.length)
          ((counts = []), (bytes = FrameTemplate.learn(text, json, [TEXT])));
        this.textChunk = bytes && { bytes, usage, counts, counted: hasCounts(usage) };
      }
      return out;
    }
    const out: StreamEvent[] = [];
    for (const c of json) {
      if (this.failed) break;
      for (const e of this.chunk(c)) out.push(e);
    }
    return out;
  }

  end(): StreamEvent[] {
    if (this.failed) return [];
    const finished = this.finishRaw !== undefined || this.blocked !== undefined;
    if (!streamComplete(GEMINI_STREAM_END, { endEvent: false, finish: finished }))
      return this.fail("upstream stream ended prematurely");
    const out = this.takeUsage(closePartial(this.parts));
    const finish = this.blocked ?? decodeFinish(this.finishRaw!, this.sawTool);
    out.push({ type: "finish", finish });
    return out;
  }

  private fail(message: string): StreamEvent[] {
    this.failed = true;
    return this.takeUsage([{ type: "error", error: routerError("bad_gateway", message) }]);
  }

  private chunk(c: unknown): StreamEvent[] {
    if (!isObject(c)) return this.fail("upstream (gemini): stream chunk is not an object");
    if (isObject(c.error)) {
      this.failed = true;
      return this.takeUsage([{ type: "error", error: decodeRpcStatus(c.error, undefined) }]);
    }
    const out: StreamEvent[] = [];
    if (!this.started) {
      this.started = true;
      out.push({
        type: "start",
        id: looseString(field(c, "responseId")) || synthId("resp_", this.ctx.random),
        model: looseString(field(c, "modelVersion")) ?? "",
      });
    }
    const candidates = field(c, "candidates");
    const candidate = Array.isArray(candidates)
      ? (candidates.find((x) => isObject(x) && (x.index ?? 0) === 0) ?? candidates[0])
      : undefined;
    if (isObject(candidate)) this.candidate(candidate, out);
    else {
      const feedback = field(c, "promptFeedback");
      const reason = isObject(feedback) ? looseString(field(feedback, "blockReason")) : undefined;
      if (reason) this.blocked = decodeBlockReason(reason);
    }
    const meta = field(c, "usageMetadata");
    if (meta !== undefined) this.noteUsage(meta, out);
    return out;
  }

  /**
   * Usage comes on every chunk and is cumulative: clients need the first at once (an Anthropic
   * client's message_start carries the input tokens) and the last at the end, so the ones in
   * between are only kept, not converted. A count-less object (Vertex's early `{trafficType}`)
   * never replaces counts.
   */
  private noteUsage(meta: unknown, out: StreamEvent[]): void {
    if (this.usageSent) {
      if (hasCounts(meta))
        ((this.lastUsage = meta), (this.lastKnown = this.lastValues = undefined));
      return;
    }
    const usage = decodeUsage(meta);
    if (usage) ((this.usageSent = true), out.push({ type: "usage", usage }));
  }

  /** The usage kept since the first, as its event (ahead of whatever ends the stream). */
  private takeUsage(out: StreamEvent[]): StreamEvent[] {
    const { lastKnown: known, lastValues: values } = this;
    const last = known && values ? withCounts(known.usage, known.counts, values) : this.lastUsage;
    const usage = last === undefined ? undefined : decodeUsage(last);
    this.lastUsage = this.lastKnown = this.lastValues = undefined;
    if (usage) out.unshift({ type: "usage", usage });
    return out;
  }

  private candidate(cand: Json, out: StreamEvent[]): void {
    const content = field(cand, "content");
    const parts = isObject(content) ? field(content, "parts") : undefined;
    if (Array.isArray(parts)) {
      for (const p of parts) {
        for (const e of decodePart(p, this.parts)) {
          if (e.type === "tool_start") this.sawTool = true;
          out.push(e);
        }
      }
    }
    // Content first, then the reason is remembered: a chunk often carries both (§4.5).
    const reason = looseString(field(cand, "finishReason"));
    if (reason) this.finishRaw = reason;
  }
}

const TEXT: HolePath = ["candidates", 0, "content", "parts", 0, "text"];
/** Usage counts that grow from chunk to chunk; the prompt's stay the same and are fixed bytes. */
const RUNNING_COUNTS = ["candidatesTokenCount", "thoughtsTokenCount", "totalTokenCount"];

/** The template's usageMetadata with this chunk's running counts (values after the text, as digits). */
function withCounts(usage: unknown, counts: readonly string[], values: readonly string[]): unknown {
  if (counts.length === 0) return usage;
  const out: Json = { ...(usage as Json) };
  for (let i = 0; i < counts.length; i++) out[counts[i]!] = Number(values[i + 1]);
  return out;
}

/**
 * A chunk with one candidate whose only part is plain text, and no finish: apart from its
 * usageMetadata (kept with the template, since it is part of the fixed bytes), nothing in it
 * but the text can change what the decoder does with the next chunk of the same bytes.
 */
function isPlainText(c: unknown): boolean {
  if (!isObject(c) || c.error !== undefined) return false;
  const candidates = field(c, "candidates");
  if (!Array.isArray(candidates) || candidates.length !== 1 || !isObject(candidates[0]))
    return false;
  const cand = candidates[0];
  if ((cand.index ?? 0) !== 0 || field(cand, "finishReason") !== undefined) return false;
  const content = field(cand, "content");
  const parts = isObject(content) ? field(content, "parts") : undefined;
  if (!Array.isArray(parts) || parts.length !== 1 || !isObject(parts[0])) return false;
  let keys = 0;
  for (const key in parts[0]) if (++keys > 1 || key !== "text") return false;
  return typeof parts[0].text === "string";
}

const COUNT_KEYS = [
  "totalTokenCount",
  "total_token_count",
  "promptTokenCount",
  "prompt_token_count",
  "candidatesTokenCount",
  "candidates_token_count",
];
const hasCounts = (meta: unknown): boolean =>
  isObject(meta) && COUNT_KEYS.some((k) => meta[k] !== undefined);
