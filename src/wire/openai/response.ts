import type { ReasoningPart, TextPart, ToolCallPart } from "../../ir/content";
import { routerError, type RouterError } from "../../ir/error";
import type { IRResponse } from "../../ir/response";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import { parseToolArgs } from "./args";
import {
  contentIn,
  reasoningTextIn,
  signatureIn,
  thinkingBlocksIn,
  thinkingBlocksOut,
  toolSignatureIn,
  toolSignatureOut,
} from "./carriers";
import { errorFromPayload } from "./error-decode";
import { guard, isObject, looseObject, looseString, type Json } from "../read";
import { finishFromWire, finishToWire } from "./finish";
import { usageFromWire, usageToWire } from "./usage";

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
    return errorFromPayload(undefined, body.error, "error in a 200 response", undefined, body);
  const choices = Array.isArray(body.choices) ? body.choices.filter(isObject) : [];
  const choice = choices.find((c) => (c.index ?? 0) === 0) ?? choices[0];
  if (!choice)
    return routerError("bad_gateway", "upstream (openai): the response has no choices", {
      cause: body,
    });

  const msg = looseObject(choice.message);
  const content = contentIn(msg.content);
  const reasoning: ReasoningPart[] = thinkingBlocksIn(msg.thinking_blocks) ?? [];
  const thought = reasoningTextIn(msg) ?? content.reasoning;
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
        ? parseToolArgs(fn.arguments, `tool_calls[${i}].function.arguments`, ctx.warnings)
        : isObject(fn.arguments)
          ? fn.arguments
          : {};
    const call: ToolCallPart = {
      type: "tool_call",
      id: id ? ctx.toolIds.fromWire(id) : synthId("call_", ctx.random),
      name: ctx.toolNames.fromWire(name),
      args,
    };
    const sig = toolSignatureIn(tc);
    if (sig) call.signature = sig;
    calls.push(call);
  });
  // Gemini's compat endpoint may carry the signature of the batch's first call on the message.
  const messageSig = signatureIn(
    looseObject(looseObject(msg.extra_content).google).thought_signature,
    "gemini",
  );
  const unsigned = calls.find((c) => !c.signature);
  if (messageSig && unsigned) unsigned.signature = messageSig;

  return {
    id: looseString(body.id) || synthId("chatcmpl-", ctx.random),
    model: ctx.group,
    parts: [...reasoning, ...texts, ...calls],
    finish: finishFromWire(choice.finish_reason, calls.length > 0, !!refusal),
    usage: usageFromWire(body.usage),
  };
}

/** IR → the Chat Completions object an OpenAI client expects (protocols.md §2.19). */
export function encodeResponse(res: IRResponse, ctx: CodecContext): unknown {
  const texts = res.parts.filter((p) => p.type === "text");
  const reasoning = res.parts.filter((p) => p.type === "reasoning");
  const calls = res.parts.filter((p) => p.type === "tool_call");
  const message: Json = {
    role: "assistant",
    // Text parts are pieces of one answer, as a stream would have delivered them.
    content: texts.length ? texts.map((t) => t.text).join("") : calls.length ? null : "",
    refusal: null,
  };
  const thought = reasoning.map((r) => r.text).join("");
  if (thought) message.reasoning_content = thought;
  const blocks = thinkingBlocksOut(reasoning);
  if (blocks) message.thinking_blocks = blocks;
  if (calls.length) {
    message.tool_calls = calls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: JSON.stringify(c.args ?? {}) },
      ...toolSignatureOut(c.signature),
    }));
  }
  return {
    id: chatId(res.id, ctx),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: ctx.group,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: finishToWire(res.finish, calls.length > 0),
      },
    ],
    usage: usageToWire(res.usage),
  };
}

/** Upstream Chat Completions ids are kept (they help correlate logs); others get a `chatcmpl-` id. */
export function chatId(upstream: string, ctx: CodecContext): string {
  return upstream.startsWith("chatcmpl-") ? upstream : "chatcmpl-" + synthId("", ctx.random);
}
