// Proto-JSON helpers for the Gemini mock. The real API parses requests as protobuf JSON: it
// accepts camelCase and snake_case names, rejects unknown names outright, and reports errors
// with proto paths in snake_case. These helpers reproduce those messages.
import { Invalid, isObject } from "../util.ts";

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Field read that honours both spellings, as the proto-JSON parser does. */
export function get(o: Record<string, any>, name: string): any {
  return o[name] !== undefined ? o[name] : o[snake(name)];
}

/** Parse-level errors ("Invalid JSON payload", "Invalid value") come with a BadRequest detail. */
export function parseError(message: string, field: string): never {
  throw new Invalid(message, {
    details: [
      {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        fieldViolations: [{ field, description: message }],
      },
    ],
  });
}

/** Semantic errors use the "* Request.path: text\n" list format. */
export function fieldError(top: string, path: string, text: string): never {
  throw new Invalid(`* ${top}${path ? `.${path}` : ""}: ${text}\n`);
}

export function plainError(message: string): never {
  throw new Invalid(message);
}

export function known(o: Record<string, any>, names: string[], at: string): void {
  for (const k of Object.keys(o)) {
    if (names.includes(camel(k))) continue;
    const where = at ? ` at '${at}'` : "";
    parseError(
      `Invalid JSON payload received. Unknown name "${k}"${where}: Cannot find field.`,
      at,
    );
  }
}

export const join = (base: string, name: string) => (base ? `${base}.${name}` : name);

/** A message-typed field: a list there is the proto parser's "not repeating" complaint. */
export function message(v: unknown, at: string): Record<string, any> {
  const dot = at.lastIndexOf(".");
  const parent = dot < 0 ? "" : at.slice(0, dot);
  const name = at.slice(dot + 1).replace(/\[\d+\]$/, "");
  if (Array.isArray(v)) {
    parseError(
      `Invalid JSON payload received. Unknown name "${name}"${parent ? ` at '${parent}'` : ""}: Proto field is not repeating, cannot start list.`,
      at,
    );
  }
  if (!isObject(v)) parseError(`Invalid value at '${at}' (message), ${JSON.stringify(v)}`, at);
  return v as Record<string, any>;
}

export function list(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v))
    parseError(`Invalid value at '${at}' (repeated), ${JSON.stringify(v)}`, at);
  return v as unknown[];
}

type Scalar =
  | "TYPE_STRING"
  | "TYPE_BOOL"
  | "TYPE_INT32"
  | "TYPE_INT64"
  | "TYPE_FLOAT"
  | "TYPE_DOUBLE"
  | "TYPE_BYTES";

/** Proto-JSON scalars: numbers may also arrive as numeric strings, booleans may not. */
export function scalar(v: unknown, kind: Scalar, at: string): void {
  const numeric =
    typeof v === "number" || (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)));
  const ok =
    kind === "TYPE_STRING"
      ? typeof v === "string"
      : kind === "TYPE_BOOL"
        ? typeof v === "boolean"
        : kind === "TYPE_BYTES"
          ? typeof v === "string" && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v)
          : kind === "TYPE_INT32" || kind === "TYPE_INT64"
            ? numeric && Number.isInteger(Number(v))
            : numeric;
  if (ok) return;
  if (kind === "TYPE_BYTES" && typeof v === "string")
    parseError(`Invalid value at '${at}' (TYPE_BYTES), Base64 decoding failed for "${v}"`, at);
  parseError(`Invalid value at '${at}' (${kind}), ${JSON.stringify(v)}`, at);
}

export function enumValue(v: unknown, allowed: string[], protoType: string, at: string): string {
  const s = typeof v === "string" ? v.toUpperCase() : "";
  if (!allowed.includes(s))
    parseError(
      `Invalid value at '${at}' (type.googleapis.com/google.ai.generativelanguage.v1beta.${protoType}), ${JSON.stringify(v)}`,
      at,
    );
  return s;
}

const CONFIG_FIELDS: Record<
  string,
  Scalar | "schema" | "json" | "strings" | "object" | "thinking"
> = {
  stopSequences: "strings",
  responseMimeType: "TYPE_STRING",
  responseSchema: "schema",
  responseJsonSchema: "json",
  candidateCount: "TYPE_INT32",
  maxOutputTokens: "TYPE_INT32",
  temperature: "TYPE_FLOAT",
  topP: "TYPE_FLOAT",
  topK: "TYPE_INT32",
  seed: "TYPE_INT32",
  presencePenalty: "TYPE_FLOAT",
  frequencyPenalty: "TYPE_FLOAT",
  responseLogprobs: "TYPE_BOOL",
  logprobs: "TYPE_INT32",
  enableEnhancedCivicAnswers: "TYPE_BOOL",
  responseModalities: "strings",
  speechConfig: "object",
  thinkingConfig: "thinking",
  mediaResolution: "TYPE_STRING",
  imageConfig: "object",
};
const MIME_TYPES = [
  "text/plain",
  "application/json",
  "application/xml",
  "application/yaml",
  "text/x.enum",
];

export function generationConfig(
  v: unknown,
  top: string,
  base: string,
  schema: (s: unknown, at: string, path: string) => void,
): void {
  const at = join(base, "generation_config");
  const cfg = message(v, at);
  known(cfg, Object.keys(CONFIG_FIELDS), at);
  for (const [name, kind] of Object.entries(CONFIG_FIELDS)) {
    const val = get(cfg, name);
    if (val === undefined || val === null) continue;
    const p = `${at}.${snake(name)}`;
    if (kind === "schema") schema(val, p, p);
    else if (kind === "json" || kind === "object") message(val, p);
    else if (kind === "strings")
      list(val, p).forEach((s, i) => scalar(s, "TYPE_STRING", `${p}[${i}]`));
    else if (kind === "thinking") {
      const th = message(val, p);
      known(th, ["includeThoughts", "thinkingBudget", "thinkingLevel"], p);
      if (get(th, "includeThoughts") !== undefined)
        scalar(get(th, "includeThoughts"), "TYPE_BOOL", `${p}.include_thoughts`);
      if (get(th, "thinkingBudget") !== undefined)
        scalar(get(th, "thinkingBudget"), "TYPE_INT32", `${p}.thinking_budget`);
      if (get(th, "thinkingLevel") !== undefined) {
        enumValue(
          get(th, "thinkingLevel"),
          ["THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"],
          "ThinkingConfig.ThinkingLevel",
          `${p}.thinking_level`,
        );
        if (get(th, "thinkingBudget") !== undefined)
          plainError("You can only set only one of thinking budget and thinking level.");
      }
    } else scalar(val, kind, p);
  }
  const temp = get(cfg, "temperature");
  if (temp !== undefined && (Number(temp) < 0 || Number(temp) > 2))
    fieldError(top, `${at}.temperature`, "temperature must be in the range [0.0, 2.0]");
  const stops = get(cfg, "stopSequences");
  if (Array.isArray(stops) && stops.length > 5)
    fieldError(top, `${at}.stop_sequences`, "at most 5 stop sequences are supported");
  const max = get(cfg, "maxOutputTokens");
  if (max !== undefined && Number(max) < 1)
    fieldError(top, `${at}.max_output_tokens`, "max_output_tokens must be positive");
  const mime = get(cfg, "responseMimeType");
  if (mime !== undefined && !MIME_TYPES.includes(mime))
    fieldError(
      top,
      `${at}.response_mime_type`,
      "allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`.",
    );
  if (get(cfg, "responseSchema") !== undefined && get(cfg, "responseJsonSchema") !== undefined)
    fieldError(
      top,
      `${at}.response_json_schema`,
      "response_json_schema and response_schema cannot both be set",
    );
}
