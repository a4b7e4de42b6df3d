import { routerError, type Finish, type StreamEvent } from "../../ir";
import type { CodecContext, Phase, StreamDecoder, StreamFrame } from "../codec";
import { synthId } from "../ids";
import { isObject, looseString, type Json } from "../read";
import { RAW_TAIL } from "../sse/frames";
import { streamComplete } from "../stream-end";
import { decodeRpcStatus } from "./error-decode";
import { decodeBlockReason, decodeFinish } from "./finish";
import { closePartial, newPartState, decodePart, type PartState } from "./part-decode";
import { field } from "./proto-json";
import { GEMINI_STREAM_END } from "./stream-end";
import { decodeUsage, hasCounts } from "./usage";

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
  /** The latest usageMetadata after the first, converted once at the end (see noteUsage). */
  private lastUsage: unknown;

  constructor(private readonly ctx: CodecContext) {
    this.parts = newPartState(ctx);
  }

  phase(): Phase {
    if (this.failed) return "over";
    return this.finishRaw !== undefined || this.blocked ? "closing" : "open";
  }

  push(frame: StreamFrame): StreamEvent[] {
    if (this.failed) return [];
    const text = frame.data.trim();
    if (text === "" || (frame.event !== RAW_TAIL && text === "[DONE]")) return [];
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.fail(`upstream (gemini): unreadable stream chunk: ${text.slice(0, 200)}`);
    }
    // Array mode can deliver an error wrapped in a one-element array.
    if (!Array.isArray(json)) return this.chunk(json);
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
      if (hasCounts(meta)) this.lastUsage = meta;
      return;
    }
    const usage = decodeUsage(meta);
    if (usage) ((this.usageSent = true), out.push({ type: "usage", usage }));
  }

  /** The usage kept since the first, as its event (ahead of whatever ends the stream). */
  private takeUsage(out: StreamEvent[]): StreamEvent[] {
    const last = this.lastUsage;
    const usage = last === undefined ? undefined : decodeUsage(last);
    this.lastUsage = undefined;
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
