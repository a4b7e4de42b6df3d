import type { AssistantPart, IRResponse, RouterError } from "../../ir";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import { signatureFromText, signatureToText } from "../signature";
import { foldCallSignatures } from "./blocks-decode";
import { errorFromType } from "./error-decode";
import { decodeStop, encodeStop, stopSequenceFor } from "./finish";
import { asArray, asObject, asString, guard, isObject, type Json } from "../read";
import { clientToolId } from "./tool-ids";
import { decodeUsage, encodeUsage } from "./usage";

/** Non-streaming Messages answers: upstream body → IR, and IR → the body an Anthropic client expects. */

export function decodeResponse(body: unknown, ctx: CodecContext): IRResponse | RouterError {
  // Some gateways answer 200 with an error body; it is still an error.
  if (isObject(body) && body.type === "error" && isObject(body.error)) {
    return errorFromType(String(body.error.type), String(body.error.message ?? "error"));
  }
  return guard(() => decode(body, ctx), {
    code: "bad_gateway",
    prefix: "upstream (anthropic) sent an unexpected response: ",
    codec: "anthropic",
  });
}

function decode(body: unknown, ctx: CodecContext): IRResponse {
  const msg = asObject(body, "response");
  const parts = foldCallSignatures(
    asArray(msg.content, "content").flatMap((b, i) =>
      part(asObject(b, `content.${i}`), `content.${i}`, ctx),
    ),
  );
  const sawTool = parts.some((p) => p.type === "tool_call");
  return {
    id: typeof msg.id === "string" && msg.id ? msg.id : synthId("msg_", ctx.random),
    model: ctx.group,
    parts,
    finish: decodeStop(msg.stop_reason, msg.stop_sequence, sawTool),
    usage: decodeUsage(msg.usage),
  };
}

function part(b: Json, path: string, ctx: CodecContext): AssistantPart[] {
  switch (b.type) {
    case "text": {
      const text = asString(b.text, `${path}.text`);
      return text ? [{ type: "text", text }] : [];
    }
    case "thinking": {
      const sig =
        typeof b.signature === "string" && b.signature
          ? signatureFromText(b.signature, "anthropic")
          : undefined;
      const text = asString(b.thinking, `${path}.thinking`);
      return [sig ? { type: "reasoning", text, signature: sig } : { type: "reasoning", text }];
    }
    case "redacted_thinking":
      return [{ type: "reasoning", text: "", redacted: asString(b.data, `${path}.data`) }];
    case "tool_use":
      return [
        {
          type: "tool_call",
          id: ctx.toolIds.fromWire(asString(b.id, `${path}.id`)),
          name: ctx.toolNames.fromWire(asString(b.name, `${path}.name`)),
          args: isObject(b.input) ? b.input : {},
        },
      ];
  }
  ctx.warnings.once("dropped", `content.${String(b.type)}`, "response block type not convertible");
  return [];
}

export function encodeResponse(res: IRResponse, ctx: CodecContext): Json {
  const content: Json[] = [];
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
  const stopReason = encodeStop(
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
export function thinkingBlock(p: Extract<AssistantPart, { type: "reasoning" }>): Json {
  if (p.redacted !== undefined) return { type: "redacted_thinking", data: p.redacted };
  return {
    type: "thinking",
    thinking: p.text,
    signature: p.signature ? signatureToText(p.signature, "anthropic") : "",
  };
}
