import type { Signature } from "../../ir/content";
import { routerError, type RouterError } from "../../ir/error";
import type { StreamEvent } from "../../ir/stream";
import type { CodecContext, Phase, StreamDecoder, StreamFrame } from "../codec";
import { synthId } from "../ids";
import { isObject, looseNumber, looseObject, looseString, type Json } from "../read";
import { RAW_TAIL } from "../sse/frames";
import { streamComplete } from "../stream-end";
import { decodeSignature, decodeToolSignature } from "./carriers";
import { decodeContent, decodeReasoningText } from "./content-decode";
import { decodeErrorObject } from "./error-decode";
import { decodeFinish } from "./finish";
import { OPENAI_STREAM_END } from "./stream-end";
import { decodeUsage } from "./usage";

/** One streamed tool call. `index` is set once it has been announced (needs a name). */
interface Slot {
  key?: number;
  id?: string;
  name?: string;
  signature?: Signature;
  /** Argument text that arrived before the name (some compat servers send it first). */
  buffered: string;
  index?: number;
  gotArgs: boolean;
}

/**
 * Upstream Chat Completions chunks → IR events (protocols.md §3.2). The finish reason is held
 * until `[DONE]` (or EOF after it) because the usage chunk comes after the finish chunk.
 */
export function createStreamDecoder(ctx: CodecContext): StreamDecoder {
  return new ChunkDecoder(ctx);
}

class ChunkDecoder implements StreamDecoder {
  private state: "open" | "done" | "failed" = "open";
  private started = false;
  private finishRaw: unknown;
  private sawFinish = false;
  private refusal = false;
  private readonly slots: Slot[] = [];
  /**
   * The latest slot of each `index`, and the first to carry each id: a lookup per delta, not a
   * scan, so an upstream streaming many calls costs linear time.
   */
  private readonly byKey = new Map<number, Slot>();
  private readonly byId = new Map<string, Slot>();
  private nextIndex = 0;

  constructor(private readonly ctx: CodecContext) {}

  phase(): Phase {
    // After the finish chunk only the usage chunk and [DONE] are due, normally in the same read.
    return this.state !== "open" ? "over" : this.sawFinish ? "closing" : "open";
  }

  push(frame: StreamFrame): StreamEvent[] {
    if (this.state !== "open") return [];
    try {
      return this.onFrame(frame);
    } catch (e) {
      // A decoder bug on an odd frame must end this stream cleanly, not the process handling it.
      return this.fail(
        routerError("internal", "openai stream decoder failed on a frame", { cause: e }),
      );
    }
  }

  private onFrame(frame: StreamFrame): StreamEvent[] {
    if (frame.event === RAW_TAIL) return this.rawTail(frame.data);
    const data = frame.data.trim();
    if (data === "") return [];
    if (data === "[DONE]") return this.close();
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return this.fail(
        routerError("bad_gateway", "upstream (openai): a stream frame is not valid JSON", {
          cause: data,
        }),
      );
    }
    // Compat servers report failures as `data: {"error":…}` or as an `event: error` frame (Groq).
    if (
      frame.event === "error" ||
      (isObject(chunk) && chunk.error !== undefined && chunk.error !== null)
    ) {
      return this.fail(
        decodeErrorObject(
          undefined,
          isObject(chunk) ? (chunk.error ?? chunk) : chunk,
          "error event in the stream",
          undefined,
          chunk,
        ),
      );
    }
    if (!isObject(chunk))
      return this.fail(
        routerError("bad_gateway", "upstream (openai): a stream frame is not a JSON object", {
          cause: data,
        }),
      );
    const out = this.ensureStarted(looseString(chunk.id));
    const choices = Array.isArray(chunk.choices) ? chunk.choices.filter(isObject) : [];
    const choice = choices.find((c) => (c.index ?? 0) === 0);
    if (choice) this.onChoice(choice, out);
    if (isObject(chunk.usage)) out.push({ type: "usage", usage: decodeUsage(chunk.usage) });
    return out;
  }

  end(): StreamEvent[] {
    if (this.state !== "open") return [];
    // [DONE] closed the stream already (state "done"); the format's rule says whether a finish suffices.
    if (streamComplete(OPENAI_STREAM_END, { endEvent: false, finish: this.sawFinish }))
      return this.close();
    return this.fail(routerError("bad_gateway", "upstream stream ended prematurely"));
  }

  private ensureStarted(id: string | undefined): StreamEvent[] {
    if (this.started) return [];
    this.started = true;
    return [
      { type: "start", id: id || synthId("chatcmpl-", this.ctx.random), model: this.ctx.group },
    ];
  }

  private onChoice(choice: Json, out: StreamEvent[]): void {
    const delta = looseObject(choice.delta);
    const content = decodeContent(delta.content);
    const thought = decodeReasoningText(delta) ?? content.reasoning;
    if (thought) out.push({ type: "reasoning", text: thought });
    // LiteLLM-style proxies stream Anthropic signatures in `thinking_blocks`; the text already came as reasoning.
    if (Array.isArray(delta.thinking_blocks)) {
      for (const b of delta.thinking_blocks.filter(isObject)) {
        const sig = b.type === "thinking" ? decodeSignature(b.signature, "anthropic") : undefined;
        if (sig) out.push({ type: "reasoning_signature", signature: sig });
        if (b.type === "redacted_thinking" && typeof b.data === "string")
          out.push({ type: "redacted_reasoning", data: b.data });
      }
    }
    if (content.text) out.push({ type: "text", text: content.text });
    const refusal = looseString(delta.refusal);
    if (refusal) {
      this.refusal = true;
      out.push({ type: "text", text: refusal });
    }
    if (Array.isArray(delta.tool_calls))
      for (const tc of delta.tool_calls.filter(isObject)) this.onToolDelta(tc, out);
    if (typeof choice.finish_reason === "string" && choice.finish_reason !== "") {
      this.finishRaw = choice.finish_reason;
      this.sawFinish = true;
    }
  }

  /** Slot by `index`, else by `id`, else the last one (pitfall 6); a new id or name on a reused key means a new call. */
  private slotFor(tc: Json): Slot {
    const key = looseNumber(tc.index);
    const id = looseString(tc.id) || undefined;
    const name = looseString(looseObject(tc.function).name) || undefined;
    let slot: Slot | undefined;
    if (key !== undefined) slot = this.byKey.get(key);
    else if (id) slot = this.byId.get(id);
    else slot = this.slots.at(-1);
    if (
      slot &&
      ((id && slot.id && slot.id !== id) || (key === undefined && !id && name && slot.name))
    )
      slot = undefined;
    if (!slot) {
      slot = { key, buffered: "", gotArgs: false };
      this.slots.push(slot);
      if (key !== undefined) this.byKey.set(key, slot);
    }
    return slot;
  }

  private onToolDelta(tc: Json, out: StreamEvent[]): void {
    const slot = this.slotFor(tc);
    const fn = looseObject(tc.function);
    if (slot.id === undefined) {
      slot.id = looseString(tc.id) || undefined;
      if (slot.id !== undefined && !this.byId.has(slot.id)) this.byId.set(slot.id, slot);
    }
    slot.name ??= looseString(fn.name) || undefined;
    slot.signature ??= decodeToolSignature(tc);
    const args =
      typeof fn.arguments === "string"
        ? fn.arguments
        : isObject(fn.arguments)
          ? JSON.stringify(fn.arguments)
          : "";
    if (slot.index === undefined) {
      slot.buffered += args;
      if (slot.name) this.announce(slot, out);
    } else if (args) {
      out.push({ type: "tool_args", index: slot.index, fragment: args });
      slot.gotArgs = true;
    }
  }

  private announce(slot: Slot, out: StreamEvent[]): void {
    const index = this.nextIndex++;
    slot.index = index;
    const id = slot.id ? this.ctx.toolIds.fromWire(slot.id) : synthId("call_", this.ctx.random);
    out.push({
      type: "tool_start",
      index,
      id,
      name: this.ctx.toolNames.fromWire(slot.name!),
      ...(slot.signature ? { signature: slot.signature } : {}),
    });
    if (slot.buffered) {
      out.push({ type: "tool_args", index, fragment: slot.buffered });
      slot.gotArgs = true;
      slot.buffered = "";
    }
  }

  private close(): StreamEvent[] {
    const out = this.ensureStarted(undefined);
    for (const slot of this.slots) {
      if (slot.index === undefined) {
        this.ctx.warnings.add(
          "dropped",
          "tool_calls",
          "the upstream streamed tool-call arguments without a tool name",
        );
        continue;
      }
      // A call that never got argument bytes still needs valid JSON for every client format.
      if (!slot.gotArgs) out.push({ type: "tool_args", index: slot.index, fragment: "{}" });
      out.push({ type: "tool_end", index: slot.index });
    }
    out.push({
      type: "finish",
      finish: decodeFinish(this.finishRaw, this.nextIndex > 0, this.refusal),
    });
    this.state = "done";
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
    if (isObject(parsed) && parsed.error !== undefined)
      return this.fail(
        decodeErrorObject(undefined, parsed.error, "error after the stream", undefined, parsed),
      );
    return this.fail(
      routerError("bad_gateway", "upstream (openai): unexpected text outside SSE frames", {
        cause: text,
      }),
    );
  }

  private fail(error: RouterError): StreamEvent[] {
    this.state = "failed";
    return [{ type: "error", error }];
  }
}
