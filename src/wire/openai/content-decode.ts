import { isObject, looseObject, looseString, type Json } from "../read";

// A message or delta's text as OpenAI-compatible servers vary it; an odd field reads as absent.

/** Reasoning text in compat answers: vLLM renamed `reasoning_content` to `reasoning`. */
export function decodeReasoningText(o: Json): string | undefined {
  const a = looseString(o.reasoning_content);
  if (a) return a;
  const b = looseString(o.reasoning);
  return b || undefined;
}

/** `content` as a string, or (Mistral and others) an array of typed pieces, thinking among them. */
export function decodeContent(content: unknown): { text: string; reasoning: string } {
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
