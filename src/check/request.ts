import type { ModelConfig } from "../config/types";
import { isRouterError, type IRRequest, type RouterError } from "../ir";
import { applyHeaderRewrite } from "../upstream/headers";
import { mergePatch } from "../upstream/merge-patch";
import type { CodecContext } from "../wire/codec";
import { codecContext, FORMATS } from "../wire";
import type { CheckKind } from "./types";

/** What the upstream sees as the group: it never leaves the router, but names the caller in logs. */
const PROBE_GROUP = "llm-router-check";
export const PROBE_TOOL = "report_status";

/**
 * Output budgets. `basic` only proves the upstream accepts and answers, so a reasoning model
 * that spends all 8 tokens thinking still passes. A stream must show text, and a tool call needs
 * room for its arguments (Anthropic's forced tool_use alone is ~30 tokens), so those get more.
 */
const MAX_TOKENS: Record<CheckKind, number> = { basic: 8, stream: 16, tools: 256 };

const PROMPT: Record<CheckKind, string> = {
  basic: "Reply with the single word: ok",
  stream: "Reply with the single word: ok",
  tools: `Call the ${PROBE_TOOL} tool with status "ok".`,
};

/**
 * How a probe differs from the standard one after the upstream refused the standard one for a
 * reason that says nothing about whether the model answers (see probe.ts).
 */
export interface ProbeAdjust {
  /** Sent as a stream: the model answers only streams (e.g. DashScope with enable_thinking). */
  stream?: boolean;
  /** The tool probe lets the model choose: the upstream refuses a forced tool_choice. */
  autoTools?: boolean;
}

export interface ProbeRequest {
  url: string;
  headers: Headers;
  body: Record<string, unknown>;
  ctx: CodecContext;
}

/**
 * The smallest real request of this kind, built the way the router builds a converted request:
 * the model's own codec encodes it (so its per-host rules apply, e.g. max_completion_tokens for
 * api.openai.com), then the model's rewrite_body and rewrite_header, exactly as for traffic.
 */
export function buildProbe(
  model: ModelConfig,
  kind: CheckKind,
  adjust: ProbeAdjust = {},
): ProbeRequest | RouterError {
  const ir: IRRequest = {
    model: PROBE_GROUP,
    system: [],
    messages: [{ role: "user", parts: [{ type: "text", text: PROMPT[kind] }] }],
    tools: [],
    maxTokens: MAX_TOKENS[kind],
    stream: kind === "stream" || adjust.stream === true,
  };
  if (kind === "tools") {
    ir.tools = [
      {
        name: PROBE_TOOL,
        description: "Reports a status word back to the caller.",
        // One required property: Gemini refuses object schemas without properties.
        schema: {
          type: "object",
          properties: { status: { type: "string", description: "the status word" } },
          required: ["status"],
        },
      },
    ];
    // Encodes as "required" (OpenAI), "any" (Anthropic) and mode ANY (Gemini); the prompt asks
    // for the call too, so a model left to choose still makes it.
    ir.toolChoice = { type: adjust.autoTools ? "auto" : "required" };
  }
  const format = FORMATS[model.apiType];
  const ctx = codecContext(PROBE_GROUP, format);
  const encoded = format.codec.encodeRequest(ir, { ...ctx, target: model });
  if (isRouterError(encoded)) return encoded;
  const body = (model.rewriteBody ? mergePatch(encoded, model.rewriteBody) : encoded) as Record<
    string,
    unknown
  >;
  const target = format.upstreamTarget(model, {
    format: model.apiType,
    op: "generate",
    group: PROBE_GROUP,
    stream: ir.stream,
    sse: true,
    body: {},
    raw: new Uint8Array(),
    headers: new Headers(),
  });
  applyHeaderRewrite(target.headers, model.rewriteHeader);
  return { url: target.url, headers: target.headers, body, ctx };
}
