import type {
  IRRequest,
  Message,
  ReasoningConfig,
  ReasoningEffort,
  ResponseFormat,
  ToolChoice,
  ToolDef,
} from "../../ir";
import type { RouterError } from "../../ir/error";
import type { CodecContext } from "../codec";
import { own } from "../lookup";
import { asArray, asObject, asString, bad, fields, guard, isObject, type Json } from "../read";
import {
  decodeAssistantBlock,
  decodeSystemBlocks,
  decodeUserBlock,
  foldCallSignatures,
  type BlockState,
} from "./blocks-decode";

/** An Anthropic Messages request (client side) → IR. */

/** Top-level keys this decoder maps; every other key is kept in `ext.anthropic` for the encoder to report. */
const MAPPED = new Set([
  "model",
  "messages",
  "system",
  "max_tokens",
  "temperature",
  "top_p",
  "top_k",
  "stop_sequences",
  "tools",
  "tool_choice",
  "metadata",
  "thinking",
  "output_config",
  "stream",
]);

// "max" is the top of Anthropic's effort scale, as xhigh is of OpenAI's.
const EFFORT: Record<string, ReasoningEffort> = {
  low: "low",
  medium: "medium",
  high: "high",
  max: "xhigh",
  xhigh: "xhigh",
};

export function decodeRequest(
  body: Record<string, unknown>,
  ctx: CodecContext,
): IRRequest | RouterError {
  return guard(() => decode(body, ctx), { codec: "anthropic" });
}

function decode(body: Json, ctx: CodecContext): IRRequest {
  const st: BlockState = { warnings: ctx.warnings, toolNames: new Map() };
  const req: IRRequest = {
    model: asString(body.model, "model"),
    system:
      body.system === undefined || body.system === null
        ? []
        : decodeSystemBlocks(body.system, "system", st),
    messages: asArray(body.messages, "messages").map((m, i) => message(m, `messages.${i}`, st)),
    tools: tools(body.tools, st),
    stream: fields.optBool(body, "stream", "") ?? false,
  };
  const maxTokens = fields.optInt(body, "max_tokens", "");
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const temperature = fields.optNumber(body, "temperature", "");
  if (temperature !== undefined) req.temperature = temperature;
  const topP = fields.optNumber(body, "top_p", "");
  if (topP !== undefined) req.topP = topP;
  const topK = fields.optInt(body, "top_k", "");
  if (topK !== undefined) req.topK = topK;
  if (body.stop_sequences !== undefined && body.stop_sequences !== null) {
    req.stop = asArray(body.stop_sequences, "stop_sequences").map((s, i) =>
      asString(s, `stop_sequences.${i}`),
    );
  }
  toolChoice(body.tool_choice, req);
  metadata(body.metadata, req, st);
  const reasoning = thinking(body.thinking, body.output_config, st);
  if (reasoning) req.reasoning = reasoning;
  const format = outputFormat(body.output_config, st);
  if (format) req.responseFormat = format;
  const rest = Object.fromEntries(Object.entries(body).filter(([k]) => !MAPPED.has(k)));
  if (Object.keys(rest).length) req.ext = { anthropic: rest };
  return req;
}

function message(m: unknown, path: string, st: BlockState): Message {
  const msg = asObject(m, path);
  const at = `${path}.content`;
  if (msg.role === "system")
    return { role: "system", parts: decodeSystemBlocks(msg.content, at, st) };
  if (msg.role !== "user" && msg.role !== "assistant")
    return bad(`${path}.role`, `expected "user", "assistant" or "system"`);
  if (typeof msg.content === "string")
    return {
      role: msg.role,
      parts: msg.content === "" ? [] : [{ type: "text", text: msg.content }],
    };
  const blocks = asArray(msg.content, at).map((b, j) => asObject(b, `${at}.${j}`));
  if (msg.role === "user")
    return { role: "user", parts: blocks.flatMap((b, j) => decodeUserBlock(b, `${at}.${j}`, st)) };
  return {
    role: "assistant",
    parts: foldCallSignatures(blocks.flatMap((b, j) => decodeAssistantBlock(b, `${at}.${j}`, st))),
  };
}

function tools(v: unknown, st: BlockState): ToolDef[] {
  if (v === undefined || v === null) return [];
  return asArray(v, "tools").flatMap((t, i): ToolDef[] => {
    const tool = asObject(t, `tools.${i}`);
    // Server tools (web_search_20250305, bash_…) run at Anthropic; no other upstream can run them.
    if (tool.type !== undefined && tool.type !== null && tool.type !== "custom") {
      st.warnings.add(
        "dropped",
        `tools.${i}`,
        `server tool ${String(tool.type)} runs only at Anthropic`,
      );
      return [];
    }
    const def: ToolDef = {
      name: asString(tool.name, `tools.${i}.name`),
      schema: asObject(tool.input_schema, `tools.${i}.input_schema`),
    };
    const description = fields.optString(tool, "description", `tools.${i}`);
    if (description !== undefined) def.description = description;
    const strict = fields.optBool(tool, "strict", `tools.${i}`);
    if (strict !== undefined) def.strict = strict;
    if (tool.cache_control !== undefined && tool.cache_control !== null)
      def.ext = { anthropic: { cacheControl: tool.cache_control } };
    if (tool.input_examples !== undefined)
      st.warnings.once("dropped", "tools.input_examples", "Anthropic-only");
    return [def];
  });
}

function toolChoice(v: unknown, req: IRRequest): void {
  if (v === undefined || v === null) return;
  const tc = asObject(v, "tool_choice");
  const map: Record<string, ToolChoice | undefined> = {
    auto: { type: "auto" },
    any: { type: "required" },
    none: { type: "none" },
  };
  if (tc.type === "tool")
    req.toolChoice = { type: "tool", name: asString(tc.name, "tool_choice.name") };
  else
    req.toolChoice =
      own(map, String(tc.type)) ??
      bad("tool_choice.type", `expected "auto", "any", "tool" or "none"`);
  if (fields.optBool(tc, "disable_parallel_tool_use", "tool_choice")) req.parallelToolCalls = false;
}

function metadata(v: unknown, req: IRRequest, st: BlockState): void {
  if (v === undefined || v === null) return;
  const md = asObject(v, "metadata");
  const user = fields.optString(md, "user_id", "metadata");
  if (user !== undefined) req.user = user;
  for (const k of Object.keys(md))
    if (k !== "user_id")
      st.warnings.add("dropped", `metadata.${k}`, "only user_id has a counterpart");
}

function thinking(v: unknown, outputConfig: unknown, st: BlockState): ReasoningConfig | undefined {
  let r: ReasoningConfig | undefined;
  if (v !== undefined && v !== null) {
    const th = asObject(v, "thinking");
    // Anthropic returns thinking whenever it is on, unless the client asked to omit it.
    const include = th.display !== "omitted";
    if (th.type === "enabled") {
      const budget =
        fields.optInt(th, "budget_tokens", "thinking") ??
        bad("thinking.budget_tokens", "field required");
      r = { enabled: true, budget, include };
    } else if (th.type === "adaptive") r = { enabled: true, include };
    else if (th.type === "disabled") r = { enabled: false };
    else return bad("thinking.type", `expected "enabled", "adaptive" or "disabled"`);
  }
  const effort = isObject(outputConfig) ? outputConfig.effort : undefined;
  if (effort === undefined || effort === null) return r;
  const mapped = own(EFFORT, String(effort));
  if (!mapped) {
    st.warnings.add("dropped", "output_config.effort", `unknown effort ${JSON.stringify(effort)}`);
    return r;
  }
  return { ...r, effort: mapped };
}

function outputFormat(v: unknown, st: BlockState): ResponseFormat | undefined {
  if (v === undefined || v === null) return undefined;
  const oc = asObject(v, "output_config");
  for (const k of Object.keys(oc))
    if (k !== "effort" && k !== "format")
      st.warnings.add("dropped", `output_config.${k}`, "no counterpart");
  if (oc.format === undefined || oc.format === null) return undefined;
  const f = asObject(oc.format, "output_config.format");
  if (f.type !== "json_schema") return bad("output_config.format.type", `expected "json_schema"`);
  return { type: "json_schema", schema: asObject(f.schema, "output_config.format.schema") };
}
