import type { AssistantPart, IRResponse, RouterError } from "../../ir";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import { asArray, asObject, asString, guard, isObject, type Json } from "../read";
import { signatureFromText } from "../signature";
import { foldCallSignatures } from "./blocks-decode";
import { decodeErrorType } from "./error-decode";
import { decodeFinish } from "./finish";
import { decodeUsage } from "./usage";

/** A non-streaming Messages answer from an Anthropic upstream → IR. */

export function decodeResponse(body: unknown, ctx: CodecContext): IRResponse | RouterError {
  // Some gateways answer 200 with an error body; it is still an error.
  if (isObject(body) && body.type === "error" && isObject(body.error)) {
    return decodeErrorType(String(body.error.type), String(body.error.message ?? "error"));
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
    finish: decodeFinish(msg.stop_reason, msg.stop_sequence, sawTool),
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
