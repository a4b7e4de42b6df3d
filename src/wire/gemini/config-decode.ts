import type {
  IRRequest,
  ReasoningConfig,
  ReasoningEffort,
  ResponseFormat,
  ToolChoice,
  ToolDef,
  Warnings,
} from "../../ir";
import { field, FieldError, isObj, num, obj, otherKeys, str, strings, type Obj } from "./read";
import { fromGeminiSchema } from "./schema-decode";

/** Gemini `tools`, `toolConfig` and `generationConfig` → the IR's request settings. */

export function decodeTools(tools: unknown[], warnings: Warnings): ToolDef[] {
  const defs: ToolDef[] = [];
  tools.forEach((tool, i) => {
    const path = `tools[${i}]`;
    if (!isObj(tool)) throw new FieldError(path, "expected an object");
    for (const [key, value] of Object.entries(tool)) {
      if (key !== "functionDeclarations" && key !== "function_declarations") {
        warnings.add("dropped", `${path}.${key}`, "built-in Gemini tools exist only on Gemini");
        continue;
      }
      if (!Array.isArray(value)) throw new FieldError(`${path}.${key}`, "expected an array");
      value.forEach((fd, j) => defs.push(declaration(fd, `${path}.functionDeclarations[${j}]`)));
    }
  });
  return defs;
}

function declaration(fd: unknown, path: string): ToolDef {
  if (!isObj(fd)) throw new FieldError(path, "expected an object");
  const name = str(fd, "name", path);
  if (!name) throw new FieldError(`${path}.name`, "field required");
  const description = str(fd, "description", path);
  const jsonSchema = obj(fd, "parametersJsonSchema", path);
  const parameters = obj(fd, "parameters", path);
  const schema =
    jsonSchema ?? (parameters ? fromGeminiSchema(parameters) : { type: "object", properties: {} });
  return description ? { name, description, schema } : { name, schema };
}

export function decodeToolChoice(
  config: Obj,
  tools: ToolDef[],
  warnings: Warnings,
): ToolChoice | undefined {
  for (const key of Object.keys(otherKeys(config, ["functionCallingConfig"])))
    warnings.add("dropped", `toolConfig.${key}`);
  const fcc = obj(config, "functionCallingConfig", "toolConfig");
  if (!fcc) return undefined;
  const path = "toolConfig.functionCallingConfig";
  const mode = (str(fcc, "mode", path) ?? "AUTO").toUpperCase();
  const allowed = strings(fcc, "allowedFunctionNames", path) ?? [];
  let choice: ToolChoice;
  if (mode === "ANY")
    choice = allowed.length === 1 ? { type: "tool", name: allowed[0]! } : { type: "required" };
  else if (mode === "NONE") choice = { type: "none" };
  else if (mode === "AUTO" || mode === "MODE_UNSPECIFIED" || mode === "VALIDATED")
    choice = { type: "auto" };
  else throw new FieldError(`${path}.mode`, "expected AUTO, ANY, NONE or VALIDATED");
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

const MAPPED = [
  "maxOutputTokens",
  "temperature",
  "topP",
  "topK",
  "candidateCount",
  "stopSequences",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "thinkingConfig",
];
const EFFORTS: readonly string[] = ["minimal", "low", "medium", "high"];

type Settings = Pick<
  IRRequest,
  | "maxTokens"
  | "temperature"
  | "topP"
  | "topK"
  | "n"
  | "stop"
  | "seed"
  | "presencePenalty"
  | "frequencyPenalty"
  | "responseFormat"
  | "reasoning"
>;

/** Returns the IR settings plus the generationConfig fields only Gemini understands. */
export function decodeGenerationConfig(cfg: Obj): { settings: Settings; rest: Obj } {
  const p = "generationConfig";
  const settings: Settings = {
    maxTokens: num(cfg, "maxOutputTokens", p, true),
    temperature: num(cfg, "temperature", p),
    topP: num(cfg, "topP", p),
    topK: num(cfg, "topK", p, true),
    n: num(cfg, "candidateCount", p, true),
    stop: strings(cfg, "stopSequences", p),
    seed: num(cfg, "seed", p, true),
    presencePenalty: num(cfg, "presencePenalty", p),
    frequencyPenalty: num(cfg, "frequencyPenalty", p),
  };
  const rest = otherKeys(cfg, MAPPED);
  const format = responseFormat(cfg, rest);
  if (format) settings.responseFormat = format;
  const thinking = obj(cfg, "thinkingConfig", p);
  if (thinking) settings.reasoning = reasoning(thinking, `${p}.thinkingConfig`);
  for (const k of Object.keys(settings) as (keyof Settings)[])
    if (settings[k] === undefined) delete settings[k];
  return { settings, rest };
}

/** JSON output maps to the IR; other MIME types (enum, XML…) stay Gemini-only in `rest`. */
function responseFormat(cfg: Obj, rest: Obj): ResponseFormat | undefined {
  const p = "generationConfig";
  const mime = str(cfg, "responseMimeType", p);
  const jsonSchema = field(cfg, "responseJsonSchema");
  const schema = obj(cfg, "responseSchema", p);
  if (jsonSchema !== undefined && !isObj(jsonSchema))
    throw new FieldError(`${p}.responseJsonSchema`, "expected an object");
  if (mime === "application/json") {
    if (jsonSchema) return { type: "json_schema", schema: jsonSchema };
    if (schema) return { type: "json_schema", schema: fromGeminiSchema(schema) };
    return { type: "json" };
  }
  if (mime !== undefined && mime !== "text/plain") {
    rest.responseMimeType = mime;
    if (schema) rest.responseSchema = schema;
    if (jsonSchema) rest.responseJsonSchema = jsonSchema;
  }
  return undefined;
}

function reasoning(t: Obj, path: string): ReasoningConfig | undefined {
  const out: ReasoningConfig = {};
  const budget = num(t, "thinkingBudget", path, true);
  if (budget === 0) out.enabled = false;
  else if (budget !== undefined) {
    out.enabled = true;
    if (budget > 0) out.budget = budget;
  }
  const level = str(t, "thinkingLevel", path)?.toLowerCase();
  if (level !== undefined && level !== "thinking_level_unspecified") {
    if (!EFFORTS.includes(level))
      throw new FieldError(`${path}.thinkingLevel`, "expected MINIMAL, LOW, MEDIUM or HIGH");
    out.effort = level as ReasoningEffort;
    out.enabled ??= true;
  }
  const include = field(t, "includeThoughts");
  if (include !== undefined && include !== null) {
    if (typeof include !== "boolean")
      throw new FieldError(`${path}.includeThoughts`, "expected a boolean");
    out.include = include;
  }
  return Object.keys(out).length ? out : undefined;
}
