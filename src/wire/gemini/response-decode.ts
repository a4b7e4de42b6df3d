import {
  emptyUsage,
  routerError,
  type AssistantPart,
  type Finish,
  type IRResponse,
  type RouterError,
  type StreamEvent,
  type ToolCallPart,
} from "../../ir";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import { isObject, looseString } from "../read";
import { decodeRpcStatus } from "./error-decode";
import { decodeBlockReason, decodeFinish } from "./finish";
import { closePartial, newPartState, decodePart } from "./part-decode";
import { field } from "./proto-json";
import { decodeUsage } from "./usage";

/**
 * An upstream generateContent answer → IR. Parts are read by the same code as stream chunks
 * and folded back together, so a streamed and a non-streamed answer decode alike.
 */
export function decodeResponse(body: unknown, ctx: CodecContext): IRResponse | RouterError {
  const top = Array.isArray(body) && body.length === 1 ? body[0] : body;
  if (!isObject(top))
    return routerError("bad_gateway", "upstream (gemini): response is not a JSON object");
  if (isObject(top.error)) return decodeRpcStatus(top.error, undefined);

  const state = newPartState(ctx);
  const events: StreamEvent[] = [];
  const candidates = field(top, "candidates");
  const candidate = Array.isArray(candidates)
    ? (candidates.find((c) => isObject(c) && (c.index ?? 0) === 0) ?? candidates[0])
    : undefined;
  let finish: Finish;
  if (isObject(candidate)) {
    const content = field(candidate, "content");
    const parts = isObject(content) ? field(content, "parts") : undefined;
    if (Array.isArray(parts)) for (const p of parts) events.push(...decodePart(p, state));
    events.push(...closePartial(state));
    const raw = looseString(field(candidate, "finishReason"));
    const sawTool = events.some((e) => e.type === "tool_start");
    // A complete answer without a reason is unusual but not broken: report it as unknown.
    finish = raw ? decodeFinish(raw, sawTool) : { reason: sawTool ? "tool_calls" : "other" };
  } else {
    const feedback = field(top, "promptFeedback");
    const reason = isObject(feedback) ? field(feedback, "blockReason") : undefined;
    finish = decodeBlockReason(looseString(reason) || "OTHER");
  }
  return {
    id: looseString(field(top, "responseId")) || synthId("resp_", ctx.random),
    model: ctx.group,
    parts: fold(events),
    finish,
    usage: decodeUsage(field(top, "usageMetadata")) ?? emptyUsage(),
  };
}

/** Stream events → assistant parts: adjacent deltas of one kind join, a signature closes its reasoning. */
function fold(events: StreamEvent[]): AssistantPart[] {
  const parts: AssistantPart[] = [];
  const calls = new Map<number, { part: ToolCallPart; json: string }>();
  for (const e of events) {
    const last = parts.at(-1);
    if (e.type === "text") {
      if (last?.type === "text") last.text += e.text;
      else parts.push({ type: "text", text: e.text });
    } else if (e.type === "reasoning") {
      if (last?.type === "reasoning" && !last.signature) last.text += e.text;
      else parts.push({ type: "reasoning", text: e.text });
    } else if (e.type === "reasoning_signature") {
      if (last?.type === "reasoning" && !last.signature) last.signature = e.signature;
      else parts.push({ type: "reasoning", text: "", signature: e.signature });
    } else if (e.type === "tool_start") {
      const part: ToolCallPart = { type: "tool_call", id: e.id, name: e.name, args: {} };
      if (e.signature) part.signature = e.signature;
      parts.push(part);
      calls.set(e.index, { part, json: "" });
    } else if (e.type === "tool_args") {
      const c = calls.get(e.index);
      if (c) c.json += e.fragment;
    } else if (e.type === "tool_end") {
      const c = calls.get(e.index);
      if (c) c.part.args = parseArgs(c.json);
    }
  }
  return parts;
}

function parseArgs(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json || "{}");
    return isObject(v) ? v : {};
  } catch {
    return {};
  }
}
