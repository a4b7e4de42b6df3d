import type { IRRequest, ReasoningConfig, ReasoningEffort, ResponseFormat } from "../../ir";
import { bad, isObject, type Json } from "../read";
import {
  field,
  optBool,
  optInt,
  optNumber,
  optObject,
  optString,
  optStrings,
  otherKeys,
} from "./proto-json";
import { decodeSchema } from "./schema-decode";

/** Gemini `generationConfig` → the IR's sampling, output-format and reasoning settings. */

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
export function decodeGenerationConfig(cfg: Json): { settings: Settings; rest: Json } {
  const p = "generationConfig";
  const settings: Settings = {
    maxTokens: optInt(cfg, "maxOutputTokens", p),
    temperature: optNumber(cfg, "temperature", p),
    topP: optNumber(cfg, "topP", p),
    topK: optInt(cfg, "topK", p),
    n: optInt(cfg, "candidateCount", p),
    stop: optStrings(cfg, "stopSequences", p),
    seed: optInt(cfg, "seed", p),
    presencePenalty: optNumber(cfg, "presencePenalty", p),
    frequencyPenalty: optNumber(cfg, "frequencyPenalty", p),
  };
  const rest = otherKeys(cfg, MAPPED);
  const format = responseFormat(cfg, rest);
  if (format) settings.responseFormat = format;
  const thinking = optObject(cfg, "thinkingConfig", p);
  if (thinking) settings.reasoning = reasoning(thinking, `${p}.thinkingConfig`);
  for (const k of Object.keys(settings) as (keyof Settings)[])
    if (settings[k] === undefined) delete settings[k];
  return { settings, rest };
}

/** JSON output maps to the IR; other MIME types (enum, XML…) stay Gemini-only in `rest`. */
function responseFormat(cfg: Json, rest: Json): ResponseFormat | undefined {
  const p = "generationConfig";
  const mime = optString(cfg, "responseMimeType", p);
  const jsonSchema = field(cfg, "responseJsonSchema");
  const schema = optObject(cfg, "responseSchema", p);
  if (jsonSchema !== undefined && !isObject(jsonSchema))
    bad(`${p}.responseJsonSchema`, "expected an object");
  if (mime === "application/json") {
    if (jsonSchema) return { type: "json_schema", schema: jsonSchema };
    if (schema) return { type: "json_schema", schema: decodeSchema(schema) };
    return { type: "json" };
  }
  if (mime !== undefined && mime !== "text/plain") {
    rest.responseMimeType = mime;
    if (schema) rest.responseSchema = schema;
    if (jsonSchema) rest.responseJsonSchema = jsonSchema;
  }
  return undefined;
}

function reasoning(t: Json, path: string): ReasoningConfig | undefined {
  const out: ReasoningConfig = {};
  const budget = optInt(t, "thinkingBudget", path);
  if (budget === 0) out.enabled = false;
  else if (budget !== undefined) {
    out.enabled = true;
    if (budget > 0) out.budget = budget;
  }
  const level = optString(t, "thinkingLevel", path)?.toLowerCase();
  if (level !== undefined && level !== "thinking_level_unspecified") {
    if (!EFFORTS.includes(level))
      bad(`${path}.thinkingLevel`, "expected MINIMAL, LOW, MEDIUM or HIGH");
    out.effort = level as ReasoningEffort;
    out.enabled ??= true;
  }
  const include = optBool(t, "includeThoughts", path);
  if (include !== undefined) out.include = include;
  return Object.keys(out).length ? out : undefined;
}
