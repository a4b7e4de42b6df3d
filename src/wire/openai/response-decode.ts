import type { ReasoningPart, TextPart, ToolCallPart } from "../../ir/content";
import { routerError, type RouterError } from "../../ir/error";
import type { IRResponse } from "../../ir/response";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import { guard, isObject, looseObject, looseString, type Json } from "../read";
import { decodeArguments } from "./arguments-decode";
import { decodeSignature, decodeThinkingBlocks, decodeToolSignature } from "./carriers";
import { decodeContent, decodeReasoningText } from "./content-decode";
import { decodeErrorObject } from "./error-decode";
import { decodeFinish } from "./finish";
import { decodeUsage } from "./usage";

/** An upstream's non-streamed answer → IR. Only the first choice counts (n > 1 is refused earlier). */
export function decodeResponse(body: unknown, ctx: CodecContext): IRResponse | RouterError {
  return guard(() => decodeBody(body, ctx), { codec: "openai" });
}

function decodeBody(body: unknown, ctx: CodecContext): IRResponse | RouterError {
  if (!isObject(body))
    return routerError("bad_gateway", "upstream (openai): the response is not a JSON object", {
      cause: body,
    });
  // Some compat servers answer 200 with an error object.
  if (body.error !== undefined && body.error !== null)
    return decodeErrorObject(undefined, body.error, "error in a 200 response", undefined, body);
  const choices = Array.isArray(body.choices) ? body.choices.filter(isObject) : [];
  const choice = choices.find((c) => (c.index ?? 0) === 0) ?? choices[0];
  if (!choice)
    return routerError("bad_gateway", "upstream (openai): the response has no choices", {
      cause: body,
    });

  const msg = looseObject(choice.message);
  const content = decodeContent(msg.content);
  const reasoning: ReasoningPart[] = decodeThinkingBlocks(msg.thinking_blocks) ?? [];
  const thought = decodeReasoningText(msg) ?? content.reasoning;
  if (!reasoning.length && thought) reasoning.push({ type: "reasoning", text: thought });
  const texts: TextPart[] = [];
  if (content.text) texts.push({ type: "text", text: content.text });
  const refusal = looseString(msg.refusal);
  if (refusal) texts.push({ type: "text", text: refusal });

  const calls: ToolCallPart[] = [];
  const rawCalls: Json[] = Array.isArray(msg.tool_calls) ? msg.tool_calls.filter(isObject) : [];
  if (isObject(msg.function_call)) rawCalls.push({ function: msg.function_call });
  rawCalls.forEach((tc, i) => {
    const fn = looseObject(tc.function);
    const name = looseString(fn.name);
    if (!name) {
      ctx.warnings.add(
        "dropped",
        `tool_calls[${i}]`,
        "the upstream sent a tool call without a name",
      );
      return;
    }
    const id = looseString(tc.id);
    const args =
      typeof fn.arguments === "string"
        ? decodeArguments(fn.arguments, `tool_calls[${i}].function.arguments`, ctx.warnings)
        : isObject(fn.arguments)
          ? fn.arguments
          : {};
    const call: ToolCallPart = {
      type: "tool_call",
      id: id ? ctx.toolIds.fromWire(id) : synthId("call_", ctx.random),
      name: ctx.toolNames.fromWire(name),
      args,
    };
    const sig = decodeToolSignature(tc);
    if (sig) call.signature = sig;
    calls.push(call);
  });
  // Gemini's compat endpoint may carry the signature of the batch's first call on the message.
  const messageSig = decodeSignature(
    looseObject(looseObject(msg.extra_content).google).thought_signature,
    "gemini",
  );
  const unsigned = calls.find((c) => !c.signature);
  if (messageSig && unsigned) unsigned.signature = messageSig;

  return {
    id: looseString(body.id) || synthId("chatcmpl-", ctx.random),
    model: ctx.group,
    parts: [...reasoning, ...texts, ...calls],
    finish: decodeFinish(choice.finish_reason, calls.length > 0, !!refusal),
    usage: decodeUsage(body.usage),
  };
}
