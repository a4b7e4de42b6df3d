import type { ToolChoice, ToolDef, Warnings } from "../../ir";
import { bad, isObject, type Json } from "../read";
import { optObject, optString, optStrings, otherKeys } from "./proto-json";
import { decodeSchema } from "./schema-decode";

/** Gemini `tools` and `toolConfig` → IR tool definitions and tool choice. */

export function decodeTools(tools: unknown[], warnings: Warnings): ToolDef[] {
  const defs: ToolDef[] = [];
  tools.forEach((tool, i) => {
    const path = `tools[${i}]`;
    if (!isObject(tool)) bad(path, "expected an object");
    for (const [key, value] of Object.entries(tool)) {
      if (key !== "functionDeclarations" && key !== "function_declarations") {
        warnings.add("dropped", `${path}.${key}`, "built-in Gemini tools exist only on Gemini");
        continue;
      }
      if (!Array.isArray(value)) bad(`${path}.${key}`, "expected an array");
      value.forEach((fd, j) => defs.push(declaration(fd, `${path}.functionDeclarations[${j}]`)));
    }
  });
  return defs;
}

function declaration(fd: unknown, path: string): ToolDef {
  if (!isObject(fd)) bad(path, "expected an object");
  const name = optString(fd, "name", path);
  if (!name) bad(`${path}.name`, "field required");
  const description = optString(fd, "description", path);
  const jsonSchema = optObject(fd, "parametersJsonSchema", path);
  const parameters = optObject(fd, "parameters", path);
  const schema =
    jsonSchema ?? (parameters ? decodeSchema(parameters) : { type: "object", properties: {} });
  return description ? { name, description, schema } : { name, schema };
}

export function decodeToolConfig(
  config: Json,
  tools: ToolDef[],
  warnings: Warnings,
): ToolChoice | undefined {
  for (const key of Object.keys(otherKeys(config, ["functionCallingConfig"])))
    warnings.add("dropped", `toolConfig.${key}`);
  const fcc = optObject(config, "functionCallingConfig", "toolConfig");
  if (!fcc) return undefined;
  const path = "toolConfig.functionCallingConfig";
  const mode = (optString(fcc, "mode", path) ?? "AUTO").toUpperCase();
  const allowed = optStrings(fcc, "allowedFunctionNames", path) ?? [];
  let choice: ToolChoice;
  if (mode === "ANY")
    choice = allowed.length === 1 ? { type: "tool", name: allowed[0]! } : { type: "required" };
  else if (mode === "NONE") choice = { type: "none" };
  else if (mode === "AUTO" || mode === "MODE_UNSPECIFIED" || mode === "VALIDATED")
    choice = { type: "auto" };
  else bad(`${path}.mode`, "expected AUTO, ANY, NONE or VALIDATED");
  if (mode === "VALIDATED") warnings.add("approximated", `${path}.mode`, "VALIDATED sent as auto");
  const names = new Set(allowed);
  if (allowed.length > 0 && choice.type !== "tool" && tools.some((t) => !names.has(t.name))) {
    warnings.add(
      "approximated",
      `${path}.allowedFunctionNames`,
      "other formats cannot restrict calls to a subset of the tools",
    );
  }
  return choice;
}
