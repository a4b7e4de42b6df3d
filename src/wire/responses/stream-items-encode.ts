import type { Signature } from "../../ir/content";
import type { StreamEvent } from "../../ir/stream";
import type { CodecContext } from "../codec";
import { jsonString } from "../sse/frames";
import type { ItemStatus, OutputItem } from "./api";
import { FreeformText } from "./freeform-input";
import { itemId } from "./ids";
import { callItem, callShape, messageItem, reasoningItem, type CallShape } from "./output-items";

/** An open item: its place in `output`, its id, and the deltas it got. */
interface Open {
  index: number;
  id: string;
  chunks: string[];
}

interface OpenCall extends Open {
  callId: string;
  shape: CallShape;
  /** For a freeform tool: its text, read out of the streamed JSON arguments. */
  text?: FreeformText;
}

/**
 * The output items of a streamed answer, as events: each item's output_item.added, its part and
 * delta events, and output_item.done with the whole item. Text is kept as the deltas it came in
 * and joined once, when its item closes. Calls stay open side by side (items are addressed by
 * output_index, so an upstream interleaving parallel calls needs no buffering); a message or a
 * reasoning item closes when anything else begins.
 */
export class OutputItems {
  private seq = 0;
  private message?: Open;
  private thought?: Open;
  private readonly calls = new Map<number, OpenCall>();
  /** Finished items by output_index (the terminal event lists them in that order). */
  private readonly done: OutputItem[] = [];
  private count = 0;
  /** Characters of answer text held for the items' done events and the terminal event. */
  held = 0;

  constructor(private readonly ctx: CodecContext) {}

  /** One event frame; `members` is the rest of its JSON object, each member led by a comma. */
  frame(type: string, members: string): string {
    return `event: ${type}\ndata: {"type":"${type}","sequence_number":${this.seq++}${members}}\n\n`;
  }

  frameOf(type: string, body: Record<string, unknown>): string {
    return this.frame(type, "," + JSON.stringify(body).slice(1, -1));
  }

  /** The items finished so far, in output order. */
  finished(): OutputItem[] {
    return this.done.filter((item) => item !== undefined);
  }

  text(text: string): string {
    const out = this.message ? "" : this.openMessage();
    const m = this.message!;
    m.chunks.push(text);
    this.held += text.length;
    return (
      out +
      this.frame(
        "response.output_text.delta",
        `${at(m)},"content_index":0,"delta":${jsonString(text)},"logprobs":[]`,
      )
    );
  }

  reasoning(text: string): string {
    let t = this.thought;
    let out = "";
    if (!t) {
      t = this.thought = this.open(itemId("reasoning", this.ctx));
      out =
        this.added(t, { id: t.id, type: "reasoning", summary: [] }) +
        this.frame(
          "response.reasoning_summary_part.added",
          `${at(t)},"summary_index":0,"part":{"type":"summary_text","text":""}`,
        );
    }
    t.chunks.push(text);
    this.held += text.length;
    return (
      out +
      this.frame(
        "response.reasoning_summary_text.delta",
        `${at(t)},"summary_index":0,"delta":${jsonString(text)}`,
      )
    );
  }

  closeMessage(status: ItemStatus = "completed"): string {
    const m = this.message;
    if (!m) return "";
    this.message = undefined;
    const text = m.chunks.join("");
    const place = { item_id: m.id, output_index: m.index, content_index: 0 };
    return (
      this.frameOf("response.output_text.done", { ...place, text, logprobs: [] }) +
      this.frameOf("response.content_part.done", {
        ...place,
        part: { type: "output_text", annotations: [], logprobs: [], text },
      }) +
      this.itemDone(m.index, messageItem(m.id, [{ text }], status))
    );
  }

  /**
   * Ends the open reasoning item, with its signature when one came. A signature with no item
   * open (a Gemini call's, or a block without text) is an item of its own, with no summary.
   */
  closeThought(signature?: Signature): string {
    let t = this.thought;
    if (!t && !signature) return "";
    let out = "";
    if (!t) {
      t = this.open(itemId("reasoning", this.ctx));
      out = this.added(t, { id: t.id, type: "reasoning", summary: [] });
    }
    this.thought = undefined;
    const text = t.chunks.join("");
    if (t.chunks.length) {
      const place = { item_id: t.id, output_index: t.index, summary_index: 0 };
      out +=
        this.frameOf("response.reasoning_summary_text.done", { ...place, text }) +
        this.frameOf("response.reasoning_summary_part.done", {
          ...place,
          part: { type: "summary_text", text },
        });
    }
    return out + this.itemDone(t.index, reasoningItem(t.id, text, signature));
  }

  openCall(ev: Extract<StreamEvent, { type: "tool_start" }>): string {
    // A Gemini call signature travels in an empty reasoning item just before its call.
    const before = ev.signature ? this.closeThought(ev.signature) : "";
    const shape = callShape(ev.name, this.ctx);
    const kind = shape.freeform ? "custom_tool_call" : "function_call";
    const call: OpenCall = { ...this.open(itemId(kind, this.ctx)), callId: ev.id, shape };
    if (shape.freeform) call.text = new FreeformText();
    this.calls.set(ev.index, call);
    return before + this.added(call, callItem(call.id, call.callId, shape, "", "in_progress"));
  }

  callArgs(tool: number, fragment: string): string {
    const call = this.calls.get(tool);
    if (!call || !fragment) return "";
    call.chunks.push(fragment);
    this.held += fragment.length;
    const delta = call.text ? call.text.push(fragment) : fragment;
    return delta ? this.callDelta(call, delta) : "";
  }

  closeCall(tool: number): string {
    const call = this.calls.get(tool);
    if (!call) return "";
    this.calls.delete(tool);
    const raw = call.chunks.join("");
    const place = { item_id: call.id, output_index: call.index };
    let out: string;
    let payload: string;
    if (call.text) {
      const { input, rest } = call.text.finish(raw);
      payload = input;
      out = rest ? this.callDelta(call, rest) : "";
      out += this.frameOf("response.custom_tool_call_input.done", { ...place, input });
    } else {
      // A call without arguments still needs parseable ones.
      payload = raw.trim() === "" ? "{}" : raw;
      out = this.frameOf("response.function_call_arguments.done", { ...place, arguments: payload });
    }
    const item = callItem(call.id, call.callId, call.shape, payload, "completed");
    return out + this.itemDone(call.index, item);
  }

  /** Closes every open item; `status` is the message's (one cut by the token limit is incomplete). */
  closeAll(status: ItemStatus): string {
    let out = this.closeMessage(status) + this.closeThought();
    for (const tool of this.calls.keys()) out += this.closeCall(tool);
    return out;
  }

  private open(id: string): Open {
    return { index: this.count++, id, chunks: [] };
  }

  /** A message opens with its one output_text part. */
  private openMessage(): string {
    const m = (this.message = this.open(itemId("message", this.ctx)));
    return (
      this.added(m, messageItem(m.id, [], "in_progress")) +
      this.frame(
        "response.content_part.added",
        `${at(m)},"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}`,
      )
    );
  }

  private added(item: Open, body: OutputItem | Record<string, unknown>): string {
    return this.frameOf("response.output_item.added", { output_index: item.index, item: body });
  }

  private itemDone(index: number, item: OutputItem): string {
    this.done[index] = item;
    return this.frameOf("response.output_item.done", { output_index: index, item });
  }

  private callDelta(call: OpenCall, delta: string): string {
    const type = call.text
      ? "response.custom_tool_call_input.delta"
      : "response.function_call_arguments.delta";
    return this.frame(type, `${at(call)},"delta":${jsonString(delta)}`);
  }
}

/** The members that place an event in an item: `,"item_id":…,"output_index":…`. */
const at = (item: Open): string => `,"item_id":"${item.id}","output_index":${item.index}`;
