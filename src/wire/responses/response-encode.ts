import type { AssistantPart } from "../../ir/content";
import type { IRResponse } from "../../ir/response";
import type { CodecContext } from "../codec";
import type { ItemStatus, OutputItem, ResponseObject } from "./api";
import { encodeFinish } from "./finish";
import { itemId, responseId } from "./ids";
import {
  callItem,
  callShape,
  freeformInput,
  messageItem,
  reasoningItem,
  responseObject,
} from "./output-items";
import { encodeUsage } from "./usage";

/** IR → the response object a Responses client expects; `output_text` is the SDKs' own sum. */
export function encodeResponse(res: IRResponse, ctx: CodecContext): ResponseObject {
  const end = encodeFinish(res.finish);
  const head = {
    id: responseId(res.id, ctx),
    createdAt: Math.floor(Date.now() / 1000),
    model: ctx.group,
  };
  const output = outputItems(res.parts, ctx, {
    status: end.status === "incomplete" ? "incomplete" : "completed",
    refusal: res.finish.reason === "refusal",
  });
  return responseObject(head, end, output, encodeUsage(res.usage));
}

/**
 * The parts in their order, as items: consecutive text parts are one message (pieces of one
 * answer, as a stream would have delivered them), each reasoning part and each call one item.
 */
function outputItems(
  parts: AssistantPart[],
  ctx: CodecContext,
  opts: { status: ItemStatus; refusal: boolean },
): OutputItem[] {
  const out: OutputItem[] = [];
  let said: string[] = [];
  const flush = () => {
    const text = said.join("");
    said = [];
    if (text)
      out.push(messageItem(itemId("message", ctx), [{ text, refusal: opts.refusal }], opts.status));
  };
  for (const p of parts) {
    if (p.type === "text") {
      said.push(p.text);
      continue;
    }
    flush();
    if (p.type === "reasoning") {
      if (p.redacted !== undefined) {
        ctx.warnings.once("dropped", "redacted_reasoning", "Responses has no redacted reasoning");
        continue;
      }
      if (p.text || p.signature)
        out.push(reasoningItem(itemId("reasoning", ctx), p.text, p.signature));
      continue;
    }
    // A Gemini call signature travels in an empty reasoning item just before its call.
    if (p.signature) out.push(reasoningItem(itemId("reasoning", ctx), "", p.signature));
    const shape = callShape(p.name, ctx);
    const payload = shape.freeform ? freeformInput(p.args) : JSON.stringify(p.args ?? {});
    const id = itemId(shape.freeform ? "custom_tool_call" : "function_call", ctx);
    out.push(callItem(id, p.id, shape, payload, "completed"));
  }
  flush();
  return out;
}
