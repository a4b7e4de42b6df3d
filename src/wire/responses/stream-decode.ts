import { routerError, type RouterError } from "../../ir/error";
import type { StreamEvent } from "../../ir/stream";
import type { CodecContext, Phase, StreamDecoder, StreamFrame } from "../codec";
import { synthId } from "../ids";
import { isObject, looseNumber, looseObject, looseString, type Json } from "../read";
import { RAW_TAIL } from "../sse/frames";
import { decodeErrorObject } from "./error-decode";
import { decodeFinish } from "./finish";
import { StreamItems } from "./stream-items-decode";
import { decodeUsage } from "./usage";

/**
 * A Responses upstream's SSE events → IR events. Items are found by `output_index` (or
 * `item_id`), so any order a server sends is read; each text is taken from the first event that
 * carries it (its deltas, or only its `.done`, or only the item's `output_item.done`), never twice.
 * The stream ends with response.completed, .incomplete or .failed; a close before is a cut stream.
 */
export function createStreamDecoder(ctx: CodecContext): StreamDecoder {
  return new EventDecoder(ctx);
}

const bad = (message: string, cause?: unknown): RouterError =>
  routerError("bad_gateway", `upstream (responses): ${message}`, { cause });

class EventDecoder implements StreamDecoder {
  private state: "open" | "done" | "failed" = "open";
  private started = false;
  private readonly items: StreamItems;

  constructor(private readonly ctx: CodecContext) {
    this.items = new StreamItems(ctx);
  }

  phase(): Phase {
    return this.state === "open" ? "open" : "over";
  }

  push(frame: StreamFrame): StreamEvent[] {
    if (this.state !== "open") return [];
    let out: StreamEvent[];
    try {
      out = this.onFrame(frame);
    } catch (e) {
      // A decoder bug on an odd frame must end this stream cleanly, not the process handling it.
      out = [
        {
          type: "error",
          error: routerError("internal", "responses stream decoder failed on a frame", {
            cause: e,
          }),
        },
      ];
    }
    if (out.some((e) => e.type === "error")) this.state = "failed";
    // A start opens every IR stream, even when an upstream skipped response.created.
    if (!this.started && out.length && out[0]!.type !== "error") out.unshift(this.start());
    return out;
  }

  end(): StreamEvent[] {
    if (this.state !== "open") return [];
    // The end event is the only finish (stream-end.ts): a close before it is a cut answer.
    this.state = "failed";
    return [{ type: "error", error: bad("upstream stream ended prematurely") }];
  }

  private start(id?: string): StreamEvent {
    this.started = true;
    return { type: "start", id: id || synthId("resp_", this.ctx.random), model: this.ctx.group };
  }

  private onFrame(frame: StreamFrame): StreamEvent[] {
    if (frame.event === RAW_TAIL) return this.rawTail(frame.data);
    const data = frame.data.trim();
    if (data === "" || data === "[DONE]") return [];
    let ev: unknown;
    try {
      ev = JSON.parse(data);
    } catch {
      return [{ type: "error", error: bad("a stream frame is not valid JSON", data) }];
    }
    if (!isObject(ev))
      return [{ type: "error", error: bad("a stream frame is not a JSON object", data) }];
    const type = looseString(ev.type) ?? frame.event ?? "";
    const items = this.items;
    switch (type) {
      case "response.created":
      case "response.in_progress":
      case "response.queued":
        return this.started ? [] : [this.start(looseString(looseObject(ev.response).id))];
      case "response.completed":
        return this.complete(looseObject(ev.response), "completed");
      case "response.incomplete":
        return this.complete(looseObject(ev.response), "incomplete");
      case "response.failed": {
        const response = looseObject(ev.response);
        return [
          { type: "error", error: decodeErrorObject(response.error, "the response failed", ev) },
        ];
      }
      case "error": {
        const payload = isObject(ev.error) ? ev.error : ev;
        return [
          { type: "error", error: decodeErrorObject(payload, "error event in the stream", ev) },
        ];
      }
      case "response.output_item.added":
        return items.added(looseNumber(ev.output_index), looseObject(ev.item));
      case "response.output_item.done":
        return items.done(looseNumber(ev.output_index), looseObject(ev.item));
      case "response.output_text.delta":
      case "response.refusal.delta":
        return items.text(ev, looseString(ev.delta), type === "response.refusal.delta");
      case "response.output_text.done":
        return items.text(ev, looseString(ev.text), false, true);
      case "response.refusal.done":
        return items.text(ev, looseString(ev.refusal), true, true);
      case "response.content_part.done":
        return items.part(ev, looseObject(ev.part));
      case "response.reasoning_summary_text.delta":
        return items.thought(ev, "summary", looseString(ev.delta));
      case "response.reasoning_summary_text.done":
        return items.thought(ev, "summary", looseString(ev.text), true);
      case "response.reasoning_summary_part.done":
        return items.thought(ev, "summary", looseString(looseObject(ev.part).text), true);
      case "response.reasoning_text.delta":
        return items.thought(ev, "raw", looseString(ev.delta));
      case "response.reasoning_text.done":
        return items.thought(ev, "raw", looseString(ev.text), true);
      case "response.function_call_arguments.delta":
      case "response.custom_tool_call_input.delta":
        return items.args(ev, looseString(ev.delta) ?? "");
      case "response.function_call_arguments.done":
        return items.args(ev, looseString(ev.arguments) ?? "", true);
      case "response.custom_tool_call_input.done":
        return items.args(ev, looseString(ev.input) ?? "", true);
      default:
        // Lifecycle notes, annotations, keepalives and the events of tools only OpenAI runs.
        return [];
    }
  }

  /** The terminal event: items it lists that no event announced, open calls closed, the finish. */
  private complete(response: Json, status: string): StreamEvent[] {
    const out = this.items.finish(Array.isArray(response.output) ? response.output : []);
    if (isObject(response.usage)) out.push({ type: "usage", usage: decodeUsage(response.usage) });
    const reason = looseObject(response.incomplete_details).reason;
    const finish = decodeFinish(response.status ?? status, reason, this.items.seen);
    out.push({ type: "finish", finish });
    this.state = "done";
    if (!this.started) out.unshift(this.start(looseString(response.id)));
    return out;
  }

  private rawTail(text: string): StreamEvent[] {
    if (text.trim() === "") return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const error =
      isObject(parsed) && parsed.error !== undefined
        ? decodeErrorObject(parsed.error, "error after the stream", parsed)
        : bad("unexpected text outside SSE frames", text);
    return [{ type: "error", error }];
  }
}
