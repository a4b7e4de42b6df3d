import type { ReasoningPart, ToolCallPart } from "../../ir/content";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import { isObject, looseString, type Json } from "../read";
import { signatureFromText } from "../signature";
import { decodeArguments } from "../openai/arguments-decode";
import { sealReasoning } from "./reasoning-seal";

/** Reading one output item of an upstream's answer: the whole answer's and the stream's `done`. */

/**
 * The IR name of a called tool. A namespaced call is the client's own namespace tool when the
 * client declared one of that name; otherwise it is flattened the way namespaces are.
 */
export function toolName(item: Json, ctx: CodecContext): string {
  const name = looseString(item.name) ?? "";
  const namespace = looseString(item.namespace);
  if (!namespace) return ctx.toolNames.fromWire(name);
  for (const [irName, declared] of ctx.clientTools)
    if (declared.namespace === namespace && declared.name === name) return irName;
  return ctx.toolNames.fromWire(`${namespace}__${name}`);
}

export const callId = (item: Json, ctx: CodecContext): string => {
  const id = looseString(item.call_id);
  return id ? ctx.toolIds.fromWire(id) : synthId("call_", ctx.random);
};

/** A function_call's or custom_tool_call's arguments as the IR holds them. */
function callArgs(item: Json, what: string, ctx: CodecContext): Json {
  if (item.type === "custom_tool_call") return { input: looseString(item.input) ?? "" };
  const args = item.arguments;
  if (isObject(args)) return args;
  return decodeArguments(looseString(args) ?? "", what, ctx.warnings);
}

export function toolCall(item: Json, what: string, ctx: CodecContext): ToolCallPart {
  return {
    type: "tool_call",
    id: callId(item, ctx),
    name: toolName(item, ctx),
    args: callArgs(item, what, ctx),
  };
}

/** The texts of a list of `{type, text}` parts of one type. */
export const textsOf = (parts: unknown, type: string): string[] =>
  Array.isArray(parts)
    ? parts.flatMap((p) =>
        isObject(p) && p.type === type && typeof p.text === "string" ? [p.text] : [],
      )
    : [];

/** Summaries are sections of one thought; raw reasoning text stands in when there is none. */
function reasoningText(item: Json): string {
  const summary = textsOf(item.summary, "summary_text");
  return (summary.length ? summary : textsOf(item.content, "reasoning_text")).join("\n\n");
}

/**
 * Whatever the upstream's signature is, tagged foreign ones keep their source; OpenAI's own
 * carries its item's id, to be replayed with it.
 */
export const reasoningSignature = (item: Json) => {
  const enc = looseString(item.encrypted_content);
  const sig = enc ? signatureFromText(enc, "responses") : undefined;
  if (sig?.source === "responses") sig.value = sealReasoning(looseString(item.id), sig.value);
  return sig;
};

export function reasoningPart(item: Json): ReasoningPart | undefined {
  const part: ReasoningPart = { type: "reasoning", text: reasoningText(item) };
  const signature = reasoningSignature(item);
  if (signature) part.signature = signature;
  return part.text || signature ? part : undefined;
}

/** Items only OpenAI runs (web_search_call, image_generation_call …) have no IR form. */
export const dropItem = (item: Json, ctx: CodecContext): void =>
  ctx.warnings.once(
    "dropped",
    `output[].type=${looseString(item.type) ?? "?"}`,
    "the client's format has no such item",
  );
