import type { AssistantPart, IRResponse } from "../../ir";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import { signatureToText } from "../signature";
import type { ContentBlock, MessageResponse, RedactedThinkingBlock, ThinkingBlock } from "./api";
import { encodeFinish, stopSequenceFor } from "./finish";
import { clientToolId } from "./tool-ids";
import { encodeUsage } from "./usage";

/** IR → the non-streaming Messages body an Anthropic client expects. */

export function encodeResponse(res: IRResponse, ctx: CodecContext): MessageResponse {
  const content: ContentBlock[] = [];
  for (const p of res.parts) {
    if (p.type === "text") {
      if (p.text) content.push({ type: "text", text: p.text });
    } else if (p.type === "reasoning") content.push(thinkingBlock(p));
    else {
      // A Gemini call signature rides in an empty thinking block just before its call, the
      // only place an Anthropic client keeps and replays opaque reasoning state.
      if (p.signature)
        content.push({
          type: "thinking",
          thinking: "",
          signature: signatureToText(p.signature, "anthropic"),
        });
      content.push({
        type: "tool_use",
        id: p.id ? clientToolId(p.id) : synthId("toolu_", ctx.random),
        name: p.name,
        input: p.args,
      });
    }
  }
  const stopReason = encodeFinish(
    res.finish,
    res.parts.some((p) => p.type === "tool_call"),
  );
  return {
    id: res.id.startsWith("msg_") ? res.id : synthId("msg_", ctx.random),
    type: "message",
    role: "assistant",
    model: ctx.group,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequenceFor(stopReason, res.finish),
    usage: encodeUsage(res.usage),
  };
}

/**
 * Unsigned reasoning (OpenAI-compatible reasoning_content, Gemini thoughts without a signature)
 * still becomes a thinking block, with signature "": Claude clients show it and send it back,
 * which lets a DeepSeek-style upstream get its required reasoning echo, while our Anthropic
 * encoder drops it again before it could reach Anthropic and fail signature checks.
 */
function thinkingBlock(
  p: Extract<AssistantPart, { type: "reasoning" }>,
): ThinkingBlock | RedactedThinkingBlock {
  if (p.redacted !== undefined) return { type: "redacted_thinking", data: p.redacted };
  return {
    type: "thinking",
    thinking: p.text,
    signature: p.signature ? signatureToText(p.signature, "anthropic") : "",
  };
}
