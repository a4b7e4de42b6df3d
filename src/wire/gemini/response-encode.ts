import type { AssistantPart, IRResponse } from "../../ir";
import type { CodecContext } from "../codec";
import { signatureToGemini } from "../signature";
import type * as Gemini from "./api";
import { encodeFinish } from "./finish";
import { encodeUsage } from "./usage";

/**
 * IR answer → the GenerateContentResponse a Gemini client expects (§2.19). An output blocked
 * by the upstream's filter is reported the way Gemini reports a blocked answer — a candidate
 * with finishReason SAFETY and no content — rather than as a blocked prompt: the upstream can
 * only have filtered its own output, and clients already handle that shape.
 */
export function encodeResponse(res: IRResponse, ctx: CodecContext): Gemini.GenerateContentResponse {
  const parts = encodeParts(res.parts, ctx);
  const candidate: Gemini.Candidate = { index: 0 };
  if (parts.length) candidate.content = { role: "model", parts };
  candidate.finishReason = encodeFinish(res.finish);
  return {
    candidates: [candidate],
    usageMetadata: encodeUsage(res.usage),
    modelVersion: ctx.group,
    responseId: res.id,
  };
}

/**
 * Thoughts become `thought: true` parts and signatures `thoughtSignature` siblings (foreign
 * ones wrapped so they survive as base64). Empty text is never emitted: the JS SDK treats such
 * chunks as invalid (§4.17). A signature whose thought has no text rides on the next part.
 */
function encodeParts(parts: AssistantPart[], ctx: CodecContext): Gemini.Part[] {
  const out: Gemini.Part[] = [];
  let carried: string | undefined;
  const push = (part: Gemini.Part) => {
    if (carried && part.thoughtSignature === undefined) part.thoughtSignature = carried;
    carried = undefined;
    out.push(part);
  };
  for (const p of parts) {
    if (p.type === "text") {
      if (p.text !== "") push({ text: p.text });
    } else if (p.type === "tool_call") {
      const part: Gemini.Part = { functionCall: { id: p.id, name: p.name, args: p.args } };
      if (p.signature) part.thoughtSignature = signatureToGemini(p.signature);
      push(part);
    } else if (p.redacted !== undefined) {
      ctx.warnings.once("dropped", "redacted_thinking", "Gemini has no opaque thinking blocks");
    } else if (p.text !== "") {
      push(
        p.signature
          ? { text: p.text, thought: true, thoughtSignature: signatureToGemini(p.signature) }
          : { text: p.text, thought: true },
      );
    } else if (p.signature) carried = signatureToGemini(p.signature);
  }
  if (carried) {
    const last = [...out].reverse().find((p) => p.thoughtSignature === undefined);
    if (last) last.thoughtSignature = carried;
    else ctx.warnings.once("dropped", "thoughtSignature", "no part to carry it");
  }
  return out;
}
