import type { IRRequest, ToolChoice } from "../../ir";
import type { EncodeRequestContext } from "../codec";
import type * as Gemini from "./api";
import { SchemaBudget, schemaOf } from "./schema-budget";
import { encodeParameters } from "./schema-encode";

/** IR tools and tool choice → Gemini `tools` and `toolConfig`. */

/** `schemas`: the budget all schemas of the request share (see SchemaBudget). */
export function encodeTools(
  req: IRRequest,
  ctx: EncodeRequestContext,
  schemas = new SchemaBudget(),
): Gemini.Tool[] | undefined {
  if (req.tools.length === 0) return undefined;
  const declarations = req.tools.map((t) => {
    if (t.strict)
      ctx.warnings.once(
        "dropped",
        "tools.strict",
        "Gemini validates arguments only in VALIDATED mode",
      );
    if (t.ext?.anthropic) ctx.warnings.once("dropped", "cache_control", "Gemini caches implicitly");
    const d: Gemini.FunctionDeclaration = { name: ctx.toolNames.toWire(t.name) };
    if (t.description) d.description = t.description;
    const parameters = schemaOf(
      `the parameters of tool ${JSON.stringify(t.name.slice(0, 100))}`,
      () => encodeParameters(t.schema, schemas),
    );
    if (parameters) d.parameters = parameters;
    return d;
  });
  return [{ functionDeclarations: declarations }];
}

export function encodeToolConfig(
  choice: ToolChoice | undefined,
  ctx: EncodeRequestContext,
): Gemini.ToolConfig | undefined {
  if (!choice) return undefined;
  const config: Gemini.ToolConfig["functionCallingConfig"] =
    choice.type === "auto"
      ? { mode: "AUTO" }
      : choice.type === "none"
        ? { mode: "NONE" }
        : choice.type === "required"
          ? { mode: "ANY" }
          : { mode: "ANY", allowedFunctionNames: [ctx.toolNames.toWire(choice.name)] };
  return { functionCallingConfig: config };
}
