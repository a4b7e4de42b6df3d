import type { IRRequest, RouterError, TextPart, Warnings } from "../../ir";
import type { CodecContext } from "../codec";
import { bad, guard, isObject, type Json } from "../read";
import { decodeGenerationConfig } from "./generation-config-decode";
import { decodeToolConfig, decodeTools } from "./tools-decode";
import { decodeContents } from "./contents-decode";
import { field, optArray, optObject, optString, otherKeys } from "./proto-json";

/** Top-level fields this codec maps; everything else rides along in `ext.gemini`. */
const MAPPED = [
  "contents",
  "systemInstruction",
  "tools",
  "toolConfig",
  "generationConfig",
  "model",
];

/**
 * A Gemini client's generateContent body → IR. The model and the stream flag live in the URL:
 * the model is the group the router resolved, and `stream` is set by the caller from the method.
 */
export function decodeRequest(
  body: Record<string, unknown>,
  ctx: CodecContext,
): IRRequest | RouterError {
  return guard(() => decode(body, ctx), { codec: "gemini" });
}

function decode(body: Json, ctx: CodecContext): IRRequest {
  // countTokens may wrap the whole request in generateContentRequest.
  const wrapped = field(body, "generateContentRequest");
  const src: Json = field(body, "contents") === undefined && isObject(wrapped) ? wrapped : body;
  const contents = optArray(src, "contents", "") ?? bad("contents", "field required");
  const messages = decodeContents(contents, ctx.warnings);
  const tools = decodeTools(optArray(src, "tools", "") ?? [], ctx.warnings);
  const toolConfig = optObject(src, "toolConfig", "");
  const toolChoice = toolConfig ? decodeToolConfig(toolConfig, tools, ctx.warnings) : undefined;
  const config = optObject(src, "generationConfig", "");
  const { settings, rest } = config ? decodeGenerationConfig(config) : { settings: {}, rest: {} };

  const req: IRRequest = {
    model: ctx.group,
    system: systemParts(src, ctx.warnings),
    messages,
    tools,
    ...settings,
    stream: false,
    streamUsage: true,
  };
  if (toolChoice) req.toolChoice = toolChoice;
  const ext = otherKeys(src, MAPPED);
  if (Object.keys(rest).length) ext.generationConfig = rest;
  if (Object.keys(ext).length) req.ext = { gemini: ext };
  return req;
}

function systemParts(src: Json, warnings: Warnings): TextPart[] {
  const si = field(src, "systemInstruction");
  if (si === undefined || si === null) return [];
  // The SDKs accept a bare string and convert it; raw REST users sometimes send one as is.
  if (typeof si === "string") return si ? [{ type: "text", text: si }] : [];
  if (!isObject(si)) bad("systemInstruction", "expected an object");
  const out: TextPart[] = [];
  (optArray(si, "parts", "systemInstruction") ?? []).forEach((p, i) => {
    const path = `systemInstruction.parts[${i}]`;
    if (!isObject(p)) bad(path, "expected an object");
    const text = optString(p, "text", path);
    if (text === undefined)
      warnings.add("dropped", path, "only text is supported in a system instruction");
    else if (text !== "") out.push({ type: "text", text });
  });
  return out;
}
