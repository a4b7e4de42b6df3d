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
import {
  decodeAssistantBlock,
  decodeSystemBlocks,
  decodeUserBlock,
  foldCallSignatures,
  type BlockState,
} from "./blocks-decode";
import {
  bad,
  guard,
  isObject,
  list,
  obj,
  optBool,
  optInt,
  optNum,
  optStr,
  str,
  type Json,
} from "./shape";
import { own } from "../lookup";

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
  return guard(() => decode(body, ctx));
}

function decode(body: Json, ctx: CodecContext): IRRequest {
  const st: BlockState = { warnings: ctx.warnings, toolNames: new Map() };
  const req: IRRequest = {
    model: str(body.model, "model"),
    system:
      body.system === undefined || body.system === null
        ? []
        : decodeSystemBlocks(body.system, "system", st),
    messages: list(body.messages, "messages").map((m, i) => message(m, `messages.${i}`, st)),
    tools: tools(body.tools, st),
    stream: optBool(body.stream, "stream") ?? false,
  };
  const maxTokens = optInt(body.max_tokens, "max_tokens");
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const temperature = optNum(body.temperature, "temperature");
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNum(body.top_p, "top_p");
  if (topP !== undefined) req.topP = topP;
  const topK = optInt(body.top_k, "top_k");
  if (topK !== undefined) req.topK = topK;
  if (body.stop_sequences !== undefined && body.stop_sequences !== null) {
    req.stop = list(body.stop_sequences, "stop_sequences").map((s, i) =>
      str(s, `stop_sequences.${i}`),
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
  const msg = obj(m, path);
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
  const blocks = list(msg.content, at).map((b, j) => obj(b, `${at}.${j}`));
  if (msg.role === "user")
    return { role: "user", parts: blocks.flatMap((b, j) => decodeUserBlock(b, `${at}.${j}`, st)) };
  return {
    role: "assistant",
    parts: foldCallSignatures(blocks.flatMap((b, j) => decodeAssistantBlock(b, `${at}.${j}`, st))),
  };
}

function tools(v: unknown, st: BlockState): ToolDef[] {
  if (v === undefined || v === null) return [];
  return list(v, "tools").flatMap((t, i): ToolDef[] => {
    const tool = obj(t, `tools.${i}`);
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
      name: str(tool.name, `tools.${i}.name`),
      schema: obj(tool.input_schema, `tools.${i}.input_schema`),
    };
    const description = optStr(tool.description, `tools.${i}.description`);
    if (description !== undefined) def.description = description;
    const strict = optBool(tool.strict, `tools.${i}.strict`);
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
  const tc = obj(v, "tool_choice");
  const map: Record<string, ToolChoice | undefined> = {
    auto: { type: "auto" },
    any: { type: "required" },
    none: { type: "none" },
  };
  if (tc.type === "tool") req.toolChoice = { type: "tool", name: str(tc.name, "tool_choice.name") };
  else
    req.toolChoice =
      own(map, String(tc.type)) ??
      bad("tool_choice.type", `expected "auto", "any", "tool" or "none"`);
  if (optBool(tc.disable_parallel_tool_use, "tool_choice.disable_parallel_tool_use"))
    req.parallelToolCalls = false;
}

function metadata(v: unknown, req: IRRequest, st: BlockState): void {
  if (v === undefined || v === null) return;
  const md = obj(v, "metadata");
  const user = optStr(md.user_id, "metadata.user_id");
  if (user !== undefined) req.user = user;
  for (const k of Object.keys(md))
    if (k !== "user_id")
      st.warnings.add("dropped", `metadata.${k}`, "only user_id has a counterpart");
}

function thinking(v: unknown, outputConfig: unknown, st: BlockState): ReasoningConfig | undefined {
  let r: ReasoningConfig | undefined;
  if (v !== undefined && v !== null) {
    const th = obj(v, "thinking");
    // Anthropic returns thinking whenever it is on, unless the client asked to omit it.
    const include = th.display !== "omitted";
    if (th.type === "enabled") {
      const budget =
        optInt(th.budget_tokens, "thinking.budget_tokens") ??
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
  const oc = obj(v, "output_config");
  for (const k of Object.keys(oc))
    if (k !== "effort" && k !== "format")
      st.warnings.add("dropped", `output_config.${k}`, "no counterpart");
  if (oc.format === undefined || oc.format === null) return undefined;
  const f = obj(oc.format, "output_config.format");
  if (f.type !== "json_schema") return bad("output_config.format.type", `expected "json_schema"`);
  return { type: "json_schema", schema: obj(f.schema, "output_config.format.schema") };
}
