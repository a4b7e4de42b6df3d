import type { StreamEvent } from "../../ir/stream";
import type { CodecContext } from "../codec";
import { own } from "../lookup";
import { isObject, looseNumber, looseString, type Json } from "../read";
import { jsonString } from "../sse/frames";
import { callId, dropItem, reasoningSignature, textsOf, toolName } from "./item-decode";

type Kind = "message" | "reasoning" | "call" | "other";

/** One output item of the upstream's stream, as far as it was decoded. */
interface Slot {
  kind: Kind;
  /** The item as announced (its id, and a call's id and name). */
  item: Json;
  /** output_item.done came: later events for it are ignored. */
  closed: boolean;
  /** The parts whose text went out (`c0` content, `s1` summary, `r0` raw reasoning). */
  said: Set<string>;
  /** Reasoning: some text went out, so the next section is set apart. */
  spoke: boolean;
  /** A call's IR index, counting calls only. */
  tool: number;
  /** A custom tool call: its text travels as the JSON of `{"input": …}`. */
  freeform: boolean;
  /** Argument (or input) characters passed on so far. */
  sent: number;
}

const KINDS: Record<string, Kind> = {
  message: "message",
  reasoning: "reasoning",
  function_call: "call",
  custom_tool_call: "call",
};

/**
 * The output items of a streamed answer, by output_index (or item_id). Each text goes out from
 * the first event that carries it, whichever that is: its deltas, its `.done`, the part's done,
 * or the item's output_item.done; the later ones only say it again.
 */
export class StreamItems {
  readonly seen = { tool: false, refusal: false };
  private readonly byIndex = new Map<number, Slot>();
  private readonly byId = new Map<string, Slot>();
  private readonly slots: Slot[] = [];
  private tools = 0;

  constructor(private readonly ctx: CodecContext) {}

  added(index: number | undefined, item: Json): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (!this.find(index, looseString(item.id))) this.create(index, item, out);
    return out;
  }

  done(index: number | undefined, item: Json): StreamEvent[] {
    const out: StreamEvent[] = [];
    const slot = this.find(index, looseString(item.id)) ?? this.create(index, item, out);
    if (!slot.closed) this.complete(slot, item, out);
    return out;
  }

  text(ev: Json, text: string | undefined, refusal: boolean, done = false): StreamEvent[] {
    const slot = this.slotFor(ev, "message");
    if (!slot) return [];
    const out: StreamEvent[] = [];
    this.say(slot, `c${looseNumber(ev.content_index) ?? 0}`, text, refusal, done, out);
    return out;
  }

  part(ev: Json, part: Json): StreamEvent[] {
    if (part.type === "output_text") return this.text(ev, looseString(part.text), false, true);
    if (part.type === "refusal") return this.text(ev, looseString(part.refusal), true, true);
    return [];
  }

  thought(
    ev: Json,
    which: "summary" | "raw",
    text: string | undefined,
    done = false,
  ): StreamEvent[] {
    const slot = this.slotFor(ev, "reasoning");
    if (!slot) return [];
    const at = which === "summary" ? looseNumber(ev.summary_index) : looseNumber(ev.content_index);
    const out: StreamEvent[] = [];
    this.think(slot, `${which === "summary" ? "s" : "r"}${at ?? 0}`, text, done, out);
    return out;
  }

  /** Argument text of a call; `done` carries the whole of it, of which only the unsent rest counts. */
  args(ev: Json, text: string, done = false): StreamEvent[] {
    const slot = this.find(looseNumber(ev.output_index), looseString(ev.item_id));
    if (!slot || slot.kind !== "call" || slot.closed) return [];
    const out: StreamEvent[] = [];
    this.send(slot, done ? text.slice(slot.sent) : text, out);
    return out;
  }

  /** The terminal event's items that were never completed, then every call still open is closed. */
  finish(output: unknown[]): StreamEvent[] {
    const out: StreamEvent[] = [];
    output.forEach((item, index) => {
      if (isObject(item)) out.push(...this.done(index, item));
    });
    for (const slot of this.slots) {
      if (slot.closed) continue;
      slot.closed = true;
      if (slot.kind === "call") this.endCall(slot, out);
    }
    return out;
  }

  /** By id first; the item at `index` only when it is not known by another id. */
  private find(index: number | undefined, id: string | undefined): Slot | undefined {
    const known = id ? this.byId.get(id) : undefined;
    if (known || index === undefined) return known;
    const at = this.byIndex.get(index);
    const atId = at && looseString(at.item.id);
    return id && atId && atId !== id ? undefined : at;
  }

  /** The item an event belongs to; text for an item never announced makes one up. */
  private slotFor(ev: Json, kind: "message" | "reasoning"): Slot | undefined {
    const index = looseNumber(ev.output_index);
    const id = looseString(ev.item_id);
    const slot = this.find(index, id) ?? this.create(index, { type: kind, id }, []);
    return slot.kind === kind && !slot.closed ? slot : undefined;
  }

  private create(index: number | undefined, item: Json, out: StreamEvent[]): Slot {
    const type = looseString(item.type) ?? "";
    const slot: Slot = {
      kind: own(KINDS, type) ?? "other",
      item,
      closed: false,
      said: new Set(),
      spoke: false,
      tool: -1,
      freeform: type === "custom_tool_call",
      sent: 0,
    };
    this.slots.push(slot);
    if (index !== undefined) this.byIndex.set(index, slot);
    const id = looseString(item.id);
    if (id) this.byId.set(id, slot);
    if (slot.kind === "call") {
      slot.tool = this.tools++;
      this.seen.tool = true;
      out.push({
        type: "tool_start",
        index: slot.tool,
        id: callId(item, this.ctx),
        name: toolName(item, this.ctx),
      });
      this.send(slot, looseString(slot.freeform ? item.input : item.arguments) ?? "", out);
    }
    return slot;
  }

  private complete(slot: Slot, item: Json, out: StreamEvent[]): void {
    slot.closed = true;
    switch (slot.kind) {
      case "message": {
        const content = Array.isArray(item.content) ? item.content : [];
        content.forEach((c, i) => {
          if (!isObject(c)) return;
          const refusal = c.type === "refusal";
          const text = looseString(refusal ? c.refusal : c.text);
          if (refusal || c.type === "output_text")
            this.say(slot, `c${i}`, text, refusal, true, out);
        });
        return;
      }
      case "reasoning": {
        const summary = textsOf(item.summary, "summary_text");
        summary.forEach((text, i) => this.think(slot, `s${i}`, text, true, out));
        if (!summary.length)
          textsOf(item.content, "reasoning_text").forEach((text, i) =>
            this.think(slot, `r${i}`, text, true, out),
          );
        // The item's last word on its signature: OpenAI sends a new one with output_item.done.
        const signature = reasoningSignature(item) ?? reasoningSignature(slot.item);
        if (signature) out.push({ type: "reasoning_signature", signature });
        return;
      }
      case "call": {
        const whole = looseString(slot.freeform ? item.input : item.arguments) ?? "";
        this.send(slot, whole.slice(slot.sent), out);
        this.endCall(slot, out);
        return;
      }
      case "other":
        dropItem(item, this.ctx);
    }
  }

  private say(
    slot: Slot,
    key: string,
    text: string | undefined,
    refusal: boolean,
    done: boolean,
    out: StreamEvent[],
  ): void {
    if (!text || (done && slot.said.has(key))) return;
    slot.said.add(key);
    if (refusal) this.seen.refusal = true;
    out.push({ type: "text", text });
  }

  /** Summary sections (and raw reasoning parts) are one thought, set apart by a blank line. */
  private think(
    slot: Slot,
    key: string,
    text: string | undefined,
    done: boolean,
    out: StreamEvent[],
  ): void {
    if (!text || (done && slot.said.has(key))) return;
    const gap = !slot.said.has(key) && slot.spoke ? "\n\n" : "";
    slot.said.add(key);
    slot.spoke = true;
    out.push({ type: "reasoning", text: gap + text });
  }

  private send(slot: Slot, text: string, out: StreamEvent[]): void {
    if (!text) return;
    // A freeform call's text is the IR's `{"input": …}`, written as it comes.
    const fragment = slot.freeform ? jsonString(text).slice(1, -1) : text;
    out.push({
      type: "tool_args",
      index: slot.tool,
      fragment: slot.freeform && slot.sent === 0 ? `{"input":"${fragment}` : fragment,
    });
    slot.sent += text.length;
  }

  private endCall(slot: Slot, out: StreamEvent[]): void {
    const close = slot.freeform ? (slot.sent === 0 ? '{"input":""}' : '"}') : slot.sent ? "" : "{}";
    if (close) out.push({ type: "tool_args", index: slot.tool, fragment: close });
    out.push({ type: "tool_end", index: slot.tool });
  }
}
