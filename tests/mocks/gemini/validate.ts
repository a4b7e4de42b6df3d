// Request validation for generateContent / streamGenerateContent / countTokens.
import { canonicalJson, isObject } from "../util.ts";
import {
  fieldError,
  generationConfig,
  get,
  join,
  known,
  list,
  message,
  parseError,
  plainError,
  scalar,
  enumValue,
} from "./fields.ts";
import { checkSchema } from "./schema.ts";

const TOP = [
  "model",
  "contents",
  "tools",
  "toolConfig",
  "safetySettings",
  "systemInstruction",
  "generationConfig",
  "cachedContent",
];
const DATA = [
  "text",
  "inlineData",
  "fileData",
  "functionCall",
  "functionResponse",
  "executableCode",
  "codeExecutionResult",
];
const PART = [
  ...DATA,
  "thought",
  "thoughtSignature",
  "videoMetadata",
  "partMetadata",
  "mediaResolution",
];
const TOOL = [
  "functionDeclarations",
  "googleSearch",
  "googleSearchRetrieval",
  "codeExecution",
  "urlContext",
  "computerUse",
  "fileSearch",
  "googleMaps",
];
const FN_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/;
/** Google's documented escape hatches for calls whose signature was lost. */
const SENTINELS = ["skip_thought_signature_validator", "context_engineering_is_the_way_to_go"];

export interface SignatureState {
  issued: Set<string>;
  /** name + canonical args of every first call this mock signed */
  signedCalls: Set<string>;
}

export const callKey = (name: string, args: unknown) => `${name} ${canonicalJson(args ?? {})}`;

function part(p: unknown, at: string, top: string): Record<string, any> {
  const pt = message(p, at);
  known(pt, PART, at);
  // Proto3 cannot tell "" from unset, so an empty text part has no data at all.
  const set = DATA.filter(
    (d) => get(pt, d) !== undefined && get(pt, d) !== null && !(d === "text" && get(pt, d) === ""),
  );
  if (set.length === 0)
    fieldError(top, `${at}.data`, "required oneof field 'data' must have one initialized field");
  if (set.length > 1)
    parseError(
      `Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '${set[1]}'`,
      at,
    );
  const text = get(pt, "text");
  if (text !== undefined) scalar(text, "TYPE_STRING", `${at}.text`);
  if (get(pt, "thought") !== undefined) scalar(get(pt, "thought"), "TYPE_BOOL", `${at}.thought`);
  if (get(pt, "thoughtSignature") !== undefined)
    scalar(get(pt, "thoughtSignature"), "TYPE_BYTES", `${at}.thought_signature`);
  const inline = get(pt, "inlineData");
  if (inline !== undefined) {
    const d = message(inline, `${at}.inline_data`);
    known(d, ["mimeType", "data", "displayName"], `${at}.inline_data`);
    if (!get(d, "mimeType"))
      fieldError(top, `${at}.inline_data.mime_type`, "mime_type must be specified");
    scalar(get(d, "data") ?? "", "TYPE_BYTES", `${at}.inline_data.data`);
  }
  const file = get(pt, "fileData");
  if (file !== undefined) {
    const d = message(file, `${at}.file_data`);
    known(d, ["mimeType", "fileUri", "displayName"], `${at}.file_data`);
    if (!get(d, "fileUri"))
      fieldError(top, `${at}.file_data.file_uri`, "file_uri must be specified");
  }
  const call = get(pt, "functionCall");
  if (call !== undefined) {
    const c = message(call, `${at}.function_call`);
    known(c, ["id", "name", "args", "partialArgs", "willContinue"], `${at}.function_call`);
    if (!get(c, "name")) fieldError(top, `${at}.function_call.name`, "Name cannot be empty.");
    if (get(c, "args") !== undefined) message(get(c, "args"), `${at}.function_call.args`);
  }
  const resp = get(pt, "functionResponse");
  if (resp !== undefined) {
    const r = message(resp, `${at}.function_response`);
    known(
      r,
      ["id", "name", "response", "parts", "willContinue", "scheduling"],
      `${at}.function_response`,
    );
    if (!get(r, "name")) fieldError(top, `${at}.function_response.name`, "Name cannot be empty.");
    const value = get(r, "response");
    if (value !== undefined && !isObject(value))
      parseError(
        `Invalid value at '${at}.function_response.response' (type.googleapis.com/google.protobuf.Struct), ${JSON.stringify(value)}`,
        `${at}.function_response.response`,
      );
  }
  return pt;
}

function contents(v: unknown, top: string, base: string, sigs: SignatureState): void {
  const at = join(base, "contents");
  if (v === undefined || (Array.isArray(v) && v.length === 0))
    fieldError(top, at, "contents is not specified");
  const items = list(v, at).map((c, i) => {
    const ct = message(c, `${at}[${i}]`);
    known(ct, ["role", "parts"], `${at}[${i}]`);
    const role = get(ct, "role");
    if (
      (role === undefined && (v as unknown[]).length > 1) ||
      (role !== undefined && role !== "user" && role !== "model")
    )
      plainError("Please use a valid role: user, model.");
    const parts = get(ct, "parts");
    if (parts === undefined || (Array.isArray(parts) && parts.length === 0))
      fieldError(top, `${at}[${i}].parts`, "contents.parts must not be empty.");
    return {
      role: role ?? "user",
      parts: list(parts, `${at}[${i}].parts`).map((p, j) =>
        part(p, `${at}[${i}].parts[${j}]`, top),
      ),
    };
  });

  items.forEach((c, i) => {
    const prev = items[i - 1];
    if (prev && prev.role === c.role)
      plainError("Please ensure that multiturn requests alternate between user and model.");
    const calls = c.parts.filter((p) => get(p, "functionCall"));
    const responses = c.parts.filter((p) => get(p, "functionResponse"));
    if (calls.length && c.role !== "model")
      plainError(
        "Please ensure that function call turn comes immediately after a user turn or after a function response turn.",
      );
    if (calls.length && i === 0)
      plainError(
        "Please ensure that function call turn comes immediately after a user turn or after a function response turn.",
      );
    if (responses.length && c.role !== "user")
      plainError(
        "Please ensure that function response turn comes immediately after a function call turn.",
      );
    if (c.role === "user" && i > 0) {
      const offered = prev.parts
        .filter((p) => get(p, "functionCall"))
        .map((p) => get(get(p, "functionCall"), "name") as string);
      if (responses.length && !offered.length)
        plainError(
          "Please ensure that function response turn comes immediately after a function call turn.",
        );
      if (offered.length && responses.length !== offered.length) {
        plainError(
          "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.",
        );
      }
      const left = [...offered];
      responses.forEach((p) => {
        const name = get(get(p, "functionResponse"), "name");
        const k = left.indexOf(name);
        if (k < 0)
          plainError(
            `Please ensure that each function response part matches a function call part of the function call turn; no call for function response \`${name}\` was found.`,
          );
        left.splice(k, 1);
      });
    }
    if (c.role === "model") signatures(c.parts, sigs);
  });
}

/** Gemini 3 behaviour: replayed signatures must be genuine and a signed call must keep its signature. */
function signatures(parts: Record<string, any>[], sigs: SignatureState): void {
  for (const p of parts) {
    const sig = get(p, "thoughtSignature");
    if (sig !== undefined && !SENTINELS.includes(sig) && !sigs.issued.has(sig))
      plainError("Corrupted thought signature.");
  }
  const j = parts.findIndex((p) => get(p, "functionCall"));
  if (j < 0 || get(parts[j], "thoughtSignature") !== undefined) return;
  const call = get(parts[j], "functionCall");
  if (sigs.signedCalls.has(callKey(get(call, "name"), get(call, "args")))) {
    plainError(
      `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${get(call, "name")}\` , position ${j + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
    );
  }
}

function tools(v: unknown, top: string, base: string): Set<string> {
  const names = new Set<string>();
  const at = join(base, "tools");
  list(v, at).forEach((t, i) => {
    const tool = message(t, `${at}[${i}]`);
    known(tool, TOOL, `${at}[${i}]`);
    const decls = get(tool, "functionDeclarations");
    if (decls === undefined) return;
    list(decls, `${at}[${i}].function_declarations`).forEach((d, j) => {
      const dp = `${at}[${i}].function_declarations[${j}]`;
      const decl = message(d, dp);
      known(
        decl,
        [
          "name",
          "description",
          "parameters",
          "parametersJsonSchema",
          "response",
          "responseJsonSchema",
          "behavior",
        ],
        dp,
      );
      const name = get(decl, "name");
      if (typeof name !== "string" || !FN_NAME_RE.test(name)) {
        fieldError(
          top,
          `${dp}.name`,
          "Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.",
        );
      }
      if (names.has(name))
        fieldError(top, `${dp}.name`, `Duplicate function declaration name: ${name}`);
      names.add(name);
      if (get(decl, "description") !== undefined)
        scalar(get(decl, "description"), "TYPE_STRING", `${dp}.description`);
      const params = get(decl, "parameters");
      const json = get(decl, "parametersJsonSchema");
      if (params !== undefined && json !== undefined)
        fieldError(
          top,
          `${dp}.parameters_json_schema`,
          "parameters_json_schema and parameters cannot both be set",
        );
      if (params !== undefined) checkSchema(params, `${dp}.parameters`, `${dp}.parameters`, top);
      if (json !== undefined) message(json, `${dp}.parameters_json_schema`);
      if (get(decl, "response") !== undefined)
        checkSchema(get(decl, "response"), `${dp}.response`, `${dp}.response`, top);
    });
  });
  return names;
}

function toolConfig(v: unknown, top: string, base: string, names: Set<string>): void {
  const at = join(base, "tool_config");
  const tc = message(v, at);
  known(tc, ["functionCallingConfig", "retrievalConfig"], at);
  const fcc = get(tc, "functionCallingConfig");
  if (fcc === undefined) return;
  const fp = `${at}.function_calling_config`;
  const f = message(fcc, fp);
  known(f, ["mode", "allowedFunctionNames"], fp);
  const mode =
    get(f, "mode") === undefined
      ? "MODE_UNSPECIFIED"
      : enumValue(
          get(f, "mode"),
          ["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"],
          "FunctionCallingConfig.Mode",
          `${fp}.mode`,
        );
  const allowed = get(f, "allowedFunctionNames");
  if (allowed === undefined) return;
  if (mode !== "ANY" && mode !== "VALIDATED")
    fieldError(
      top,
      `${fp}.allowed_function_names`,
      "allowed_function_names can only be set when mode is ANY or VALIDATED.",
    );
  list(allowed, `${fp}.allowed_function_names`).forEach((n, i) => {
    scalar(n, "TYPE_STRING", `${fp}.allowed_function_names[${i}]`);
    if (!names.has(n as string))
      fieldError(
        top,
        `${fp}.allowed_function_names[${i}]`,
        `function ${n} is not declared in tools`,
      );
  });
}

export function validateGenerate(
  body: unknown,
  top: string,
  base: string,
  sigs: SignatureState,
): void {
  if (!isObject(body)) parseError("Invalid JSON payload received. Expected an object.", base);
  const b = body as Record<string, any>;
  known(b, TOP, base);
  contents(get(b, "contents"), top, base, sigs);
  const sys = get(b, "systemInstruction");
  if (sys !== undefined) {
    const sp = join(base, "system_instruction");
    const s = message(sys, sp);
    known(s, ["role", "parts"], sp);
    const parts = get(s, "parts");
    if (parts === undefined || (Array.isArray(parts) && parts.length === 0))
      fieldError(top, `${sp}.parts`, "contents.parts must not be empty.");
    list(parts, `${sp}.parts`).forEach((p, j) => part(p, `${sp}.parts[${j}]`, top));
  }
  const names =
    get(b, "tools") === undefined ? new Set<string>() : tools(get(b, "tools"), top, base);
  if (get(b, "toolConfig") !== undefined) toolConfig(get(b, "toolConfig"), top, base, names);
  if (get(b, "safetySettings") !== undefined) {
    list(get(b, "safetySettings"), join(base, "safety_settings")).forEach((s, i) => {
      const sp = `${join(base, "safety_settings")}[${i}]`;
      known(message(s, sp), ["category", "threshold", "method"], sp);
    });
  }
  if (get(b, "generationConfig") !== undefined) {
    generationConfig(get(b, "generationConfig"), top, base, (s, at, field) =>
      checkSchema(s, at, field, top),
    );
  }
  if (get(b, "cachedContent") !== undefined)
    scalar(get(b, "cachedContent"), "TYPE_STRING", join(base, "cached_content"));
}

export function validateCount(body: unknown, sigs: SignatureState): void {
  const top = "CountTokensRequest";
  if (!isObject(body)) parseError("Invalid JSON payload received. Expected an object.", "");
  const b = body as Record<string, any>;
  known(b, ["contents", "generateContentRequest"], "");
  const inner = get(b, "generateContentRequest");
  if (inner !== undefined && get(b, "contents") !== undefined)
    fieldError(top, "", "contents and generate_content_request are mutually exclusive.");
  if (inner === undefined) return contents(get(b, "contents"), top, "", sigs);
  const m = message(inner, "generate_content_request");
  if (typeof get(m, "model") !== "string" || !get(m, "model").startsWith("models/"))
    fieldError(top, "generate_content_request.model", "model must be of the form models/{model}");
  validateGenerate(m, top, "generate_content_request", sigs);
}
