import type { ReasoningPart, Signature } from "../../ir/content";
import { isObject, looseObject, looseString, type Json } from "../read";
import { signatureFromText, signatureToText } from "../signature";
import type { ExtraContent, ThinkingBlock } from "./api";

/**
 * OpenAI Chat has no slot for reasoning signatures. Two conventions fill the gap
 * (protocols.md §2.8): LiteLLM's `thinking_blocks` (Anthropic thinking blocks, signatures
 * untagged) and Google's `extra_content.google.thought_signature` on tool calls. We read both,
 * untagged values taken as the convention's own provider, and write tagged values.
 */

export function decodeSignature(
  value: unknown,
  untagged: Signature["source"],
): Signature | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  return signatureFromText(value, "openai") ?? { source: untagged, value };
}

export const encodeSignature = (sig: Signature) => signatureToText(sig, "openai");

/** `thinking_blocks` → reasoning parts, in order; undefined when the field is absent or empty. */
export function decodeThinkingBlocks(raw: unknown): ReasoningPart[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const parts: ReasoningPart[] = [];
  for (const b of raw) {
    if (!isObject(b)) continue;
    if (b.type === "redacted_thinking" && typeof b.data === "string")
      parts.push({ type: "reasoning", text: "", redacted: b.data });
    else if (b.type === "thinking") {
      const part: ReasoningPart = { type: "reasoning", text: looseString(b.thinking) ?? "" };
      const sig = decodeSignature(b.signature, "anthropic");
      if (sig) part.signature = sig;
      parts.push(part);
    }
  }
  return parts.length ? parts : undefined;
}

/** Only worth sending when something in it is not already in `reasoning_content`. */
export function encodeThinkingBlocks(parts: ReasoningPart[]): ThinkingBlock[] | undefined {
  if (!parts.some((p) => p.signature || p.redacted !== undefined)) return undefined;
  return parts.map((p) =>
    p.redacted !== undefined
      ? { type: "redacted_thinking", data: p.redacted }
      : {
          type: "thinking",
          thinking: p.text,
          ...(p.signature ? { signature: encodeSignature(p.signature) } : {}),
        },
  );
}

export const decodeToolSignature = (toolCall: Json): Signature | undefined =>
  decodeSignature(
    looseObject(looseObject(toolCall.extra_content).google).thought_signature,
    "gemini",
  );

export const encodeToolSignature = (
  sig: Signature | undefined,
): { extra_content?: ExtraContent } =>
  sig ? { extra_content: { google: { thought_signature: encodeSignature(sig) } } } : {};
