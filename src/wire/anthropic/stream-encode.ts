import {
  emptyUsage,
  routerError,
  type Finish,
  type RouterError,
  type Signature,
  type StreamEvent,
  type Usage,
} from "../../ir";
import type { CodecContext, StreamEncoder } from "../codec";
import { synthId } from "../ids";
import { signatureToText } from "../signature";
import { jsonString, sseEvent } from "../sse/frames";
import type {
  ContentBlock,
  InputJsonDelta,
  MessageResponse,
  MessageStreamEvent,
  TextDelta,
  ThinkingDelta,
} from "./api";
import { errorBody } from "./error";
import { encodeFinish, stopSequenceFor } from "./finish";
import { clientToolId } from "./tool-ids";
import { encodeUsage } from "./usage";
import { WaitingTools, type Tool } from "./waiting-tools";

/**
 * IR stream events → the Messages SSE grammar the official SDK accumulates (protocols.md §3.3):
 * message_start, content blocks numbered over all blocks, message_delta, message_stop.
 * Blocks cannot be reopened, so tool calls that an upstream interleaves are written one after
 * another: a call that starts while another is open waits, its fragments buffered.
 */

type Open =
  { kind: "text" | "thinking"; index: number } | { kind: "tool"; index: number; tool: number };

interface State {
  ctx: CodecContext;
  id?: string;
  started: boolean;
  /** An error went out (or the message ended): nothing more may follow. */
  closed: boolean;
  nextBlock: number;
  open?: Open;
  waiting: WaitingTools;
  /** Tool calls whose block is already closed; late fragments for them cannot be delivered. */
  written: Set<number>;
  usage: Usage;
  finish?: Finish;
  sawTool: boolean;
}

/** One event as its SSE frame: the event name repeats the event's `type`. */
const frame = (event: MessageStreamEvent): string => sseEvent(event.type, JSON.stringify(event));

/** The deltas that carry one string, and the key that holds it (checked against the API's types). */
const STRING_KEY = {
  text_delta: "text",
  thinking_delta: "thinking",
  input_json_delta: "partial_json",
} as const satisfies {
  [D in TextDelta | ThinkingDelta | InputJsonDelta as D["type"]]: Exclude<keyof D, "type">;
};

/**
 * A content_block_delta carrying one string: the frame nearly every streamed token becomes,
 * so only the string itself is serialised.
 */
const deltaFrame = (index: number, type: keyof typeof STRING_KEY, value: string): string =>
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"${type}","${STRING_KEY[type]}":${jsonString(value)}}}\n\n`;

export function createStreamEncoder(ctx: CodecContext): StreamEncoder {
  const s: State = {
    ctx,
    started: false,
    closed: false,
    nextBlock: 0,
    waiting: new WaitingTools(),
    written: new Set(),
    usage: emptyUsage(),
    sawTool: false,
  };
  return {
    push: (ev) => (s.closed ? "" : push(s, ev)),
    end() {
      if (s.closed) return "";
      s.closed = true;
      // Without a finish the upstream broke off; a clean message_stop would let a client run a half-sent tool call.
      if (!s.finish)
        return errorFrame(routerError("upstream_error", "upstream stream ended prematurely"));
      const stopReason = encodeFinish(s.finish, s.sawTool);
      const delta = {
        stop_reason: stopReason,
        stop_sequence: stopSequenceFor(stopReason, s.finish),
      };
      return (
        start(s) +
        closeAll(s) +
        frame({ type: "message_delta", delta, usage: encodeUsage(s.usage) }) +
        frame({ type: "message_stop" })
      );
    },
  };
}

function push(s: State, ev: StreamEvent): string {
  switch (ev.type) {
    case "start":
      // Held back until the first usage or content, so message_start can carry the input tokens.
      s.id = ev.id;
      return "";
    case "usage":
      s.usage = ev.usage;
      return start(s);
    case "text":
      return ev.text
        ? start(s) + ensure(s, "text") + deltaFrame(s.open!.index, "text_delta", ev.text)
        : start(s);
    case "reasoning":
      return ev.text
        ? start(s) + ensure(s, "thinking") + deltaFrame(s.open!.index, "thinking_delta", ev.text)
        : start(s);
    case "reasoning_signature":
      return start(s) + ensure(s, "thinking") + signature(s, ev.signature);
    case "redacted_reasoning": {
      const out = start(s) + closeAll(s);
      const index = s.nextBlock++;
      return (
        out +
        frame({
          type: "content_block_start",
          index,
          content_block: { type: "redacted_thinking", data: ev.data },
        }) +
        frame({ type: "content_block_stop", index })
      );
    }
    case "tool_start":
      return (
        start(s) +
        toolStart(s, {
          tool: ev.index,
          id: ev.id,
          name: ev.name,
          signature: ev.signature,
          args: [],
          ended: false,
        })
      );
    case "tool_args":
      return toolArgs(s, ev.index, ev.fragment);
    case "tool_end":
      return toolEnd(s, ev.index);
    case "finish":
      s.finish = ev.finish;
      // message_delta waits for end(): usage may still follow the finish (OpenAI's usage chunk).
      return start(s) + closeAll(s);
    case "error":
      s.closed = true;
      return errorFrame(ev.error);
  }
}

function errorFrame(err: RouterError): string {
  return sseEvent("error", JSON.stringify(errorBody(err)));
}

function start(s: State): string {
  if (s.started) return "";
  s.started = true;
  const id = s.id?.startsWith("msg_") ? s.id : synthId("msg_", s.ctx.random);
  const message: MessageResponse = {
    id,
    type: "message",
    role: "assistant",
    model: s.ctx.group,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: encodeUsage(s.usage),
  };
  return frame({ type: "message_start", message });
}

/** Makes the open block a text or thinking block, closing whatever else is open. */
function ensure(s: State, kind: "text" | "thinking"): string {
  if (s.open?.kind === kind) return "";
  return closeAll(s) + openBlock(s, kind);
}

function openBlock(s: State, kind: "text" | "thinking"): string {
  const index = s.nextBlock++;
  s.open = { kind, index };
  const content_block: ContentBlock =
    kind === "text"
      ? { type: "text", text: "" }
      : { type: "thinking", thinking: "", signature: "" };
  return frame({ type: "content_block_start", index, content_block });
}

/** A signature ends its thinking block: the API sends it right before content_block_stop. */
function signature(s: State, sig: Signature): string {
  const index = s.open!.index;
  s.open = undefined;
  return (
    frame({
      type: "content_block_delta",
      index,
      delta: { type: "signature_delta", signature: signatureToText(sig, "anthropic") },
    }) + frame({ type: "content_block_stop", index })
  );
}

function closeOpen(s: State): string {
  if (!s.open) return "";
  const { index } = s.open;
  if (s.open.kind === "tool") s.written.add(s.open.tool);
  s.open = undefined;
  return frame({ type: "content_block_stop", index });
}

/** Closes the open block and writes out every waiting tool call as far as it got. */
function closeAll(s: State): string {
  let out = closeOpen(s);
  for (let t = s.waiting.shift(); t; t = s.waiting.shift()) out += openTool(s, t) + closeOpen(s);
  return out;
}

function openTool(s: State, t: Tool): string {
  s.sawTool = true;
  let out = "";
  // A Gemini call signature travels in an empty thinking block just before its call.
  if (t.signature) out += openBlock(s, "thinking") + signature(s, t.signature);
  const index = s.nextBlock++;
  s.open = { kind: "tool", index, tool: t.tool };
  out += frame({
    type: "content_block_start",
    index,
    content_block: {
      type: "tool_use",
      id: t.id ? clientToolId(t.id) : synthId("toolu_", s.ctx.random),
      name: t.name,
      input: {},
    },
  });
  for (const a of t.args) out += argsDelta(index, a);
  return out;
}

const argsDelta = (index: number, fragment: string): string =>
  deltaFrame(index, "input_json_delta", fragment);

function toolStart(s: State, t: Tool): string {
  if (s.open?.kind === "tool") {
    s.waiting.push(t);
    return "";
  }
  return closeAll(s) + openTool(s, t);
}

function toolArgs(s: State, tool: number, fragment: string): string {
  if (!fragment) return "";
  if (s.open?.kind === "tool" && s.open.tool === tool) return argsDelta(s.open.index, fragment);
  const waiting = s.waiting.get(tool);
  if (waiting) waiting.args.push(fragment);
  else
    s.ctx.warnings.add(
      "dropped",
      "tool_args",
      `arguments for tool call ${tool} arrived after its block was closed`,
    );
  return "";
}

function toolEnd(s: State, tool: number): string {
  if (s.open?.kind !== "tool" || s.open.tool !== tool) {
    const waiting = s.waiting.get(tool);
    if (waiting) waiting.ended = true;
    return "";
  }
  let out = closeOpen(s);
  // The next waiting call takes the stage; calls that already ended are written out whole.
  for (
    let t = s.open ? undefined : s.waiting.shift();
    t;
    t = s.open ? undefined : s.waiting.shift()
  ) {
    out += openTool(s, t);
    if (t.ended) out += closeOpen(s);
  }
  return out;
}
