import type { IRRequest, RouterError, TextPart } from "../../ir";
import type { EncodeRequestContext } from "../codec";
import { guard, isObject, type Json } from "../read";
import { encodeGenerationConfig } from "./generation-config-encode";
import { encodeToolConfig, encodeTools } from "./tools-encode";
import { encodeContents } from "./contents-encode";
import type * as Gemini from "./api";
import { SchemaBudget } from "./schema-budget";

/**
 * IR → a generateContent body for a Gemini upstream (the model and stream method go in the
 * URL). Follows protocols.md §2.18, "… client → Gemini upstream".
 */
export function encodeRequest(
  req: IRRequest,
  ctx: EncodeRequestContext,
): Gemini.GenerateContentRequest | RouterError {
  return guard(() => encode(req, ctx), { codec: "gemini" });
}

function encode(req: IRRequest, ctx: EncodeRequestContext): Gemini.GenerateContentRequest {
  const body: Gemini.GenerateContentRequest = { contents: encodeContents(req.messages, ctx) };
  const system = systemParts(req, ctx);
  if (system.length && /^(models\/)?gemma/i.test(ctx.target.model)) {
    // Gemma has no system instruction: it becomes the start of the first user turn.
    ctx.warnings.add(
      "approximated",
      "system",
      "Gemma models take no system instruction; prepended to the first user turn",
    );
    const first = body.contents[0]!;
    first.parts = [...system, ...(first.parts ?? [])];
  } else if (system.length) body.systemInstruction = { parts: system };
  // One budget for every schema of the request: per tool, many tools multiplied it.
  const schemas = new SchemaBudget();
  const tools = encodeTools(req, ctx, schemas);
  if (tools) {
    body.tools = tools;
    const toolConfig = encodeToolConfig(req.toolChoice, ctx);
    if (toolConfig) body.toolConfig = toolConfig;
  }
  if (req.parallelToolCalls === false)
    ctx.warnings.add("dropped", "parallel_tool_calls", "Gemini cannot forbid parallel calls");
  if (req.user !== undefined) ctx.warnings.add("dropped", "user", "Gemini has no end-user field");
  if (req.promptCacheKey !== undefined)
    ctx.warnings.add("dropped", "prompt_cache_key", "Gemini caches implicitly, by no key");
  if (req.verbosity !== undefined)
    ctx.warnings.add("dropped", "verbosity", "Gemini has no length setting but the token limit");
  const config = encodeGenerationConfig(req, ctx, schemas);
  carryExtensions(req, body, config, ctx);
  if (Object.keys(config).length) body.generationConfig = config;
  return body;
}

/** Top-level system parts and every system message, in order; Gemini has one place for them. */
function systemParts(req: IRRequest, ctx: EncodeRequestContext): Gemini.Part[] {
  const texts: TextPart[] = [...req.system];
  let conversationStarted = false;
  for (const m of req.messages) {
    if (m.role !== "system") conversationStarted = true;
    else {
      if (conversationStarted)
        ctx.warnings.once(
          "approximated",
          "system",
          "mid-conversation system messages moved into systemInstruction",
        );
      texts.push(...m.parts);
    }
  }
  if (texts.some((t) => t.ext?.anthropic))
    ctx.warnings.once("dropped", "cache_control", "Gemini caches implicitly");
  return texts.filter((t) => t.text.trim() !== "").map((t) => ({ text: t.text }));
}

/**
 * Gemini-only fields a Gemini client sent (safetySettings, cachedContent, …) go back out; the
 * other formats' leftovers have no Gemini meaning and are reported. The client's fields are
 * Gemini's by definition, whatever their name: they are written through untyped views.
 */
function carryExtensions(
  req: IRRequest,
  request: Gemini.GenerateContentRequest,
  generationConfig: Gemini.GenerationConfig,
  ctx: EncodeRequestContext,
): void {
  const body: Json = request;
  const config: Json = generationConfig;
  const ext = req.ext ?? {};
  for (const [k, v] of Object.entries(ext.gemini ?? {})) {
    if (k === "generationConfig" && isObject(v)) {
      for (const [gk, gv] of Object.entries(v)) if (!(gk in config)) config[gk] = gv;
    } else if (!(k in body)) body[k] = v;
  }
  // Every other format's slot is something Gemini has no field for.
  for (const [source, extra] of Object.entries(ext)) {
    if (source === "gemini" || !extra) continue;
    for (const k of Object.keys(extra))
      ctx.warnings.add("dropped", `${source}.${k}`, "no Gemini equivalent");
  }
}
