import type { ReasoningPart, Signature } from "../../ir/content";
import { signatureFromText, signatureToText } from "../signature";
import { isObject, looseObject, looseString, type Json } from "../read";

/**
 * OpenAI Chat has no slot for reasoning signatures. Two conventions fill the gap
 * (protocols.md §2.8): LiteLLM's `thinking_blocks` (Anthropic thinking blocks, signatures
 * untagged) and Google's `extra_content.google.thought_signature` on tool calls. We read both,
 * untagged values taken as the convention's own provider, and write tagged values.
 */

export function signatureIn(value: unknown, untagged: Signature["source"]): Signature | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  return signatureFromText(value, "openai") ?? { source: untagged, value };
}

export const signatureOut = (sig: Signature) => signatureToText(sig, "openai");

/** `thinking_blocks` → reasoning parts, in order; undefined when the field is absent or empty. */
export function thinkingBlocksIn(raw: unknown): ReasoningPart[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const parts: ReasoningPart[] = [];
  for (const b of raw) {
    if (!isObject(b)) continue;
    if (b.type === "redacted_thinking" && typeof b.data === "string")
      parts.push({ type: "reasoning", text: "", redacted: b.data });
    else if (b.type === "thinking") {
      const part: ReasoningPart = { type: "reasoning", text: looseString(b.thinking) ?? "" };
      const sig = signatureIn(b.signature, "anthropic");
      if (sig) part.signature = sig;
      parts.push(part);
    }
  }
  return parts.length ? parts : undefined;
}

/** Only worth sending when something in it is not already in `reasoning_content`. */
export function thinkingBlocksOut(parts: ReasoningPart[]): Json[] | undefined {
  if (!parts.some((p) => p.signature || p.redacted !== undefined)) return undefined;
  return parts.map((p) =>
    p.redacted !== undefined
      ? { type: "redacted_thinking", data: p.redacted }
      : {
          type: "thinking",
          thinking: p.text,
          ...(p.signature ? { signature: signatureOut(p.signature) } : {}),
        },
  );
}

export const toolSignatureIn = (toolCall: Json): Signature | undefined =>
  signatureIn(looseObject(looseObject(toolCall.extra_content).google).thought_signature, "gemini");

export const toolSignatureOut = (sig: Signature | undefined) =>
  sig ? { extra_content: { google: { thought_signature: signatureOut(sig) } } } : {};

/** Reasoning text in compat answers: vLLM renamed `reasoning_content` to `reasoning`. */
export function reasoningTextIn(o: Json): string | undefined {
  const a = looseString(o.reasoning_content);
  if (a) return a;
  const b = looseString(o.reasoning);
  return b || undefined;
}

/** `content` as a string, or (Mistral and others) an array of typed pieces, thinking among them. */
export function contentIn(content: unknown): { text: string; reasoning: string } {
  if (typeof content === "string") return { text: content, reasoning: "" };
  let text = "";
  let reasoning = "";
  if (Array.isArray(content)) {
    for (const piece of content.filter(isObject)) {
      if (piece.type === "thinking")
        reasoning += Array.isArray(piece.thinking)
          ? piece.thinking.map((t) => looseString(looseObject(t).text) ?? "").join("")
          : (looseString(piece.thinking) ?? "");
      else text += looseString(piece.text) ?? "";
    }
  }
  return { text, reasoning };
}
