import type { AssistantPart } from "../../ir/content";
import { routerError, type RouterError } from "../../ir/error";
import type { IRResponse } from "../../ir/response";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import { guard, isObject, looseObject, looseString, type Json } from "../read";
import { decodeErrorObject } from "./error-decode";
import { decodeFinish } from "./finish";
import { dropItem, reasoningPart, toolCall } from "./item-decode";
import { decodeUsage } from "./usage";

/** An upstream's non-streamed response object → IR: its output items in order. */
export function decodeResponse(body: unknown, ctx: CodecContext): IRResponse | RouterError {
  return guard(() => decodeBody(body, ctx), { codec: "responses" });
}

function decodeBody(body: unknown, ctx: CodecContext): IRResponse | RouterError {
  if (!isObject(body))
    return routerError("bad_gateway", "upstream (responses): the response is not a JSON object", {
      cause: body,
    });
  if (body.status === "failed" || (body.error !== undefined && body.error !== null))
    return decodeErrorObject(body.error, "the response failed", body);
  const parts: AssistantPart[] = [];
  const seen = { tool: false, refusal: false };
  const output = Array.isArray(body.output) ? body.output.filter(isObject) : [];
  output.forEach((item, i) => {
    switch (item.type) {
      case "message": {
        const text = messageText(item, seen);
        if (text) parts.push({ type: "text", text });
        break;
      }
      case "reasoning": {
        const part = reasoningPart(item);
        if (part) parts.push(part);
        break;
      }
      case "function_call":
      case "custom_tool_call":
        seen.tool = true;
        parts.push(toolCall(item, `output[${i}].arguments`, ctx));
        break;
      default:
        dropItem(item, ctx);
    }
  });
  return {
    id: looseString(body.id) || synthId("resp_", ctx.random),
    model: ctx.group,
    parts,
    finish: decodeFinish(body.status, looseObject(body.incomplete_details).reason, seen),
    usage: decodeUsage(body.usage),
  };
}

/** A message's text and refusal parts, as the one answer they make. */
function messageText(item: Json, seen: { refusal: boolean }): string {
  if (!Array.isArray(item.content)) return "";
  let text = "";
  for (const c of item.content.filter(isObject)) {
    if (c.type === "output_text" && typeof c.text === "string") text += c.text;
    else if (c.type === "refusal" && typeof c.refusal === "string" && c.refusal) {
      seen.refusal = true;
      text += c.refusal;
    }
  }
  return text;
}
