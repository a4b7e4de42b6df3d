import type { IRRequest, ToolChoice, ToolDef, Warnings } from "../../ir";
import type { EncodeRequestContext } from "../codec";
import { isObject } from "../read";
import type { CacheControl, InputSchema, ToolChoiceParam, ToolParam } from "./api";

/** IR tool definitions and tool choice → an Anthropic request's `tools` and `tool_choice`. */

export function encodeTool(t: ToolDef, ctx: EncodeRequestContext, w: Warnings): ToolParam {
  const out: ToolParam = {
    name: ctx.toolNames.toWire(t.name),
    ...(t.description ? { description: t.description } : {}),
    input_schema: inputSchema(t, w),
  };
  if (t.strict !== undefined) out.strict = t.strict;
  const cc = t.ext?.anthropic?.cacheControl;
  // An Anthropic client's own hint, going back to Anthropic as that client wrote it.
  if (cc !== undefined && cc !== null) out.cache_control = cc as CacheControl;
  return out;
}

/** input_schema is required and its root must be an object schema. */
function inputSchema(t: ToolDef, w: Warnings): InputSchema {
  const s = t.schema;
  if (!isObject(s) || Object.keys(s).length === 0) return { type: "object", properties: {} };
  if (s.type === "object") return s as InputSchema;
  if (s.type === undefined) return { type: "object", ...s };
  if (Array.isArray(s.type) && s.type.includes("object")) return { ...s, type: "object" };
  w.add(
    "dropped",
    `tools.${t.name}.parameters`,
    `the root schema must be an object, not ${JSON.stringify(s.type)}; sent without parameters`,
  );
  return { type: "object", properties: {} };
}

/** `thinking`: thinking is on, and Anthropic then refuses forced tool use. */
export function encodeToolChoice(
  req: IRRequest,
  thinking: boolean,
  ctx: EncodeRequestContext,
  w: Warnings,
): ToolChoiceParam | undefined {
  let c: ToolChoice | undefined = req.toolChoice;
  const forced = c?.type === "required" || c?.type === "tool";
  if (!req.tools.length) {
    if (forced) w.add("dropped", "tool_choice", "a tool was required but no tools were given");
    return undefined;
  }
  if (thinking && forced) {
    w.add(
      "approximated",
      "tool_choice",
      `${c!.type} → auto: Anthropic does not allow forced tool use while thinking`,
    );
    c = { type: "auto" };
  }
  let out: ToolChoiceParam | undefined;
  if (c?.type === "tool") out = { type: "tool", name: ctx.toolNames.toWire(c.name) };
  else if (c) out = { type: c.type === "required" ? "any" : c.type };
  if (req.parallelToolCalls === false && c?.type !== "none") {
    out ??= { type: "auto" };
    out.disable_parallel_tool_use = true;
  }
  return out;
}
