import { emptyUsage, routerError, type StreamEvent, type Usage } from "../../ir";
import type { CodecContext, StreamDecoder, StreamFrame } from "../codec";
import { synthId } from "../ids";
import { isObject, looseString, type Json } from "../read";
import { signatureFromText } from "../signature";
import { RAW_TAIL } from "../sse/frames";
import { streamComplete } from "../stream-end";
import { decodeErrorType } from "./error-decode";
import { decodeFinish } from "./finish";
import { ANTHROPIC_STREAM_END } from "./stream-end";
import { decodeUsage } from "./usage";

/** An Anthropic upstream's SSE events → IR stream events (protocols.md §3.2). */

/** What an open content block is, by its wire index; tool blocks carry their tool-call counter. */
type Block =
  | { kind: "text" }
  | { kind: "thinking"; pendingSig?: string }
  | { kind: "tool"; tool: number; gotArgs: boolean; input?: Json }
  | { kind: "ignored" };

interface State {
  ctx: CodecContext;
  started: boolean;
  /** message_stop or an error was seen: nothing more is decoded. */
  done: boolean;
  blocks: Map<number, Block>;
  tools: number;
  usage: Usage;
  stopReason?: unknown;
  stopSequence?: unknown;
}

const failure = (
  message: string,
  code: "bad_gateway" | "upstream_error" = "bad_gateway",
): StreamEvent => ({ type: "error", error: routerError(code, `upstream (anthropic): ${message}`) });

export function createStreamDecoder(ctx: CodecContext): StreamDecoder {
  const s: State = {
    ctx,
    started: false,
    done: false,
    blocks: new Map(),
    tools: 0,
    usage: emptyUsage(),
  };
  return {
    push(frame) {
      if (s.done) return [];
      try {
        const events = step(s, frame);
        // A start must open every IR stream, even when an upstream skipped message_start.
        if (!s.started && events.some((e) => e.type !== "error")) {
          s.started = true;
          events.unshift({ type: "start", id: synthId("msg_", ctx.random), model: ctx.group });
        }
        if (events.some((e) => e.type === "error")) s.done = true;
        return events;
      } catch (e) {
        s.done = true;
        return [failure(`stream could not be decoded (${String(e)})`)];
      }
    },
    phase: () => (s.done ? "over" : "open"),
    end() {
      if (s.done) return []; // message_stop (the end event) or an error was decoded
      s.done = true;
      if (
        streamComplete(ANTHROPIC_STREAM_END, {
          endEvent: false,
          finish: s.stopReason !== undefined,
        })
      )
        return messageStop(s);
      return [failure("upstream stream ended prematurely", "bad_gateway")];
    },
  };
}

function step(s: State, frame: StreamFrame): StreamEvent[] {
  if (frame.event === RAW_TAIL) return rawTail(frame.data);
  if (frame.event === "ping" || frame.data.trim() === "") return [];
  let json: unknown;
  try {
    json = JSON.parse(frame.data);
  } catch {
    return [failure(`stream frame is not JSON: ${frame.data.slice(0, 120)}`)];
  }
  if (!isObject(json))
    return [failure(`stream frame is not a JSON object: ${frame.data.slice(0, 120)}`)];
  switch (frame.event ?? json.type) {
    case "message_start":
      return messageStart(s, isObject(json.message) ? json.message : {});
    case "content_block_start":
      return blockStart(
        s,
        Number(json.index),
        isObject(json.content_block) ? json.content_block : {},
      );
    case "content_block_delta":
      return blockDelta(s, Number(json.index), isObject(json.delta) ? json.delta : {});
    case "content_block_stop":
      return blockStop(s, Number(json.index));
    case "message_delta":
      return messageDelta(s, json);
    case "message_stop":
      return messageStop(s);
    case "error": {
      const err = isObject(json.error) ? json.error : {};
      return [
        {
          type: "error",
          error: decodeErrorType(looseString(err.type), String(err.message ?? "stream error")),
        },
      ];
    }
  }
  // ping and event types newer than this code: the API tells clients to ignore them.
  return [];
}

/** Unframed trailing text: an error body some proxies append; anything else is left to end(). */
function rawTail(data: string): StreamEvent[] {
  try {
    const json: unknown = JSON.parse(data);
    const err = isObject(json) ? json.error : undefined;
    if (isObject(err))
      return [
        {
          type: "error",
          error: decodeErrorType(looseString(err.type), String(err.message ?? data)),
        },
      ];
  } catch {
    // not JSON either
  }
  return [];
}

function messageStart(s: State, m: Json): StreamEvent[] {
  s.started = true;
  s.usage = decodeUsage(m.usage, s.usage);
  const id = typeof m.id === "string" && m.id ? m.id : synthId("msg_", s.ctx.random);
  return [
    { type: "start", id, model: s.ctx.group },
    { type: "usage", usage: { ...s.usage } },
  ];
}

function blockStart(s: State, index: number, cb: Json): StreamEvent[] {
  switch (cb.type) {
    case "text":
      s.blocks.set(index, { kind: "text" });
      return typeof cb.text === "string" && cb.text ? [{ type: "text", text: cb.text }] : [];
    case "thinking": {
      // A signature inside the start (gateways that replay whole blocks) is sent at the block's stop.
      const pendingSig =
        typeof cb.signature === "string" && cb.signature ? cb.signature : undefined;
      s.blocks.set(index, { kind: "thinking", pendingSig });
      return typeof cb.thinking === "string" && cb.thinking
        ? [{ type: "reasoning", text: cb.thinking }]
        : [];
    }
    case "redacted_thinking":
      s.blocks.set(index, { kind: "ignored" });
      return [{ type: "redacted_reasoning", data: String(cb.data ?? "") }];
    case "tool_use": {
      const tool = s.tools++;
      const input = isObject(cb.input) && Object.keys(cb.input).length ? cb.input : undefined;
      s.blocks.set(index, { kind: "tool", tool, gotArgs: false, input });
      const id =
        typeof cb.id === "string" && cb.id
          ? s.ctx.toolIds.fromWire(cb.id)
          : synthId("toolu_", s.ctx.random);
      return [
        {
          type: "tool_start",
          index: tool,
          id,
          name: s.ctx.toolNames.fromWire(String(cb.name ?? "")),
        },
      ];
    }
  }
  s.blocks.set(index, { kind: "ignored" });
  s.ctx.warnings.once(
    "dropped",
    `content.${String(cb.type)}`,
    "stream block type not convertible (server tools run only at Anthropic)",
  );
  return [];
}

function blockDelta(s: State, index: number, d: Json): StreamEvent[] {
  const block = s.blocks.get(index);
  if (!block || block.kind === "ignored") return [];
  switch (d.type) {
    case "text_delta":
      return typeof d.text === "string" && d.text ? [{ type: "text", text: d.text }] : [];
    case "thinking_delta":
      return typeof d.thinking === "string" && d.thinking
        ? [{ type: "reasoning", text: d.thinking }]
        : [];
    case "signature_delta":
      if (typeof d.signature !== "string" || !d.signature) return [];
      if (block.kind === "thinking") block.pendingSig = undefined;
      // Tagged values come from another llm-router in front of a Gemini model: keep their origin.
      return [
        { type: "reasoning_signature", signature: signatureFromText(d.signature, "anthropic")! },
      ];
    case "input_json_delta":
      if (block.kind !== "tool" || typeof d.partial_json !== "string" || !d.partial_json) return [];
      block.gotArgs = true;
      return [{ type: "tool_args", index: block.tool, fragment: d.partial_json }];
    case "citations_delta":
      s.ctx.warnings.once(
        "dropped",
        "citations",
        "citations have no counterpart in the client format",
      );
  }
  return [];
}

function blockStop(s: State, index: number): StreamEvent[] {
  const block = s.blocks.get(index);
  s.blocks.delete(index);
  return block ? closeBlock(block) : [];
}

function closeBlock(block: Block): StreamEvent[] {
  if (block.kind === "thinking" && block.pendingSig)
    return [
      { type: "reasoning_signature", signature: signatureFromText(block.pendingSig, "anthropic")! },
    ];
  if (block.kind !== "tool") return [];
  // Some gateways send the whole input in the start block and no deltas.
  const args: StreamEvent[] =
    !block.gotArgs && block.input
      ? [{ type: "tool_args", index: block.tool, fragment: JSON.stringify(block.input) }]
      : [];
  return [...args, { type: "tool_end", index: block.tool }];
}

function messageDelta(s: State, json: Json): StreamEvent[] {
  const delta = isObject(json.delta) ? json.delta : {};
  if (delta.stop_reason !== undefined && delta.stop_reason !== null)
    s.stopReason = delta.stop_reason;
  if (delta.stop_sequence !== undefined && delta.stop_sequence !== null)
    s.stopSequence = delta.stop_sequence;
  if (!isObject(json.usage)) return [];
  s.usage = decodeUsage(json.usage, s.usage);
  return [{ type: "usage", usage: { ...s.usage } }];
}

function messageStop(s: State): StreamEvent[] {
  const events = [...s.blocks.values()].flatMap(closeBlock);
  s.blocks.clear();
  s.done = true;
  events.push({ type: "finish", finish: decodeFinish(s.stopReason, s.stopSequence, s.tools > 0) });
  return events;
}
