/**
 * One `model_list` entry → ModelConfig, with the checks its schema cannot make: a well-formed
 * api_base and proxy, header names, and JSON objects given as strings (rewrite_header,
 * rewrite_body), which are validated against their own schema at the string's position.
 */
import { FALLBACK_FORMAT, isFormatId } from "../wire";
import { DEFAULT_FORWARD_BETAS } from "./defaults";
import { BodyRewrite, HeaderRewrite } from "./model-schema";
import { escape } from "./positions";
import { pricingOf } from "./pricing-entry";
import { parseProxyUrl } from "./proxy-spec";
import type { Reporter } from "./reporter";
import { isMapping, mapping, type Mapping } from "./shape";
import { DEFAULT_API_BASE, type ConfigIssueCode, type ModelConfig, type Timeouts } from "./types";
import { secondsToMs } from "./units";
import { describeValue, schemaProblems } from "./validate";

/** Seconds in the file, milliseconds in the config; keys left out keep `base`. */
export function timeouts(raw: unknown, base: Timeouts): Timeouts {
  const t = mapping(raw);
  const ms = (v: unknown, d: number) => (typeof v === "number" && v >= 0 ? secondsToMs(v) : d);
  return {
    connect: ms(t.connect, base.connect),
    firstByte: ms(t.first_byte, base.firstByte),
    idle: ms(t.idle, base.idle),
    total: ms(t.total, base.total),
  };
}

export function modelConfig(
  r: Reporter,
  entry: Mapping,
  at: string,
  globalTimeouts: Timeouts,
): ModelConfig {
  const params = mapping(entry.llm_params);
  const p = `${at}/llm_params`;
  // The schema reports a missing or unknown api_type; normalising goes on with the fallback.
  const apiType = isFormatId(params.api_type) ? params.api_type : FALLBACK_FORMAT;
  let apiBase = DEFAULT_API_BASE[apiType];
  if (typeof params.api_base === "string") {
    // The schema already insists on the scheme; this catches the rest of a malformed URL.
    if (/^https?:\/\//.test(params.api_base) && !URL.canParse(params.api_base)) {
      r.error(
        "INVALID_VALUE",
        `${p}/api_base`,
        `api_base is not a valid URL: ${r.quote(`${p}/api_base`, params.api_base)}`,
      );
    }
    apiBase = params.api_base.replace(/\/+$/, "");
  }
  const rewriteBody = bodyRewrite(r, params.rewrite_body, `${p}/rewrite_body`);
  const pricing = pricingOf(r, params.pricing, `${p}/pricing`);
  return {
    name: typeof entry.model_name === "string" ? entry.model_name : "",
    apiType,
    model: typeof params.model === "string" ? params.model : "",
    apiBase,
    apiKey: typeof params.api_key === "string" ? params.api_key : "",
    // Written as a reference that came out empty: a key meant to be set, not a keyless server.
    ...(params.api_key === "" && r.raw(`${p}/api_key`)
      ? { apiKeyUnset: r.raw(`${p}/api_key`)! }
      : {}),
    rewriteHeader: headerRewrite(r, params.rewrite_header, `${p}/rewrite_header`),
    ...(rewriteBody ? { rewriteBody } : {}),
    ...(typeof params.default_max_tokens === "number"
      ? { defaultMaxTokens: params.default_max_tokens }
      : {}),
    ...(typeof params.max_output_tokens === "number"
      ? { maxOutputTokens: params.max_output_tokens }
      : {}),
    ...(typeof params.context_window === "number" ? { contextWindow: params.context_window } : {}),
    ...(typeof params.proxy === "string"
      ? { proxy: checkedProxy(r, params.proxy, `${p}/proxy`) }
      : {}),
    timeouts: timeouts(params.timeouts, globalTimeouts),
    forwardBetas:
      typeof params.forward_betas === "boolean" ? params.forward_betas : DEFAULT_FORWARD_BETAS,
    ...(pricing ? { pricing } : {}),
  };
}

/** Validated like --proxy; the message never repeats credentials. */
function checkedProxy(r: Reporter, value: string, at: string): string {
  const spec = parseProxyUrl(value);
  const raw = r.raw(at);
  // The message names the URL (credentials masked); from the environment, not even its host.
  if (spec instanceof Error)
    r.error(
      "INVALID_VALUE",
      at,
      raw
        ? spec.message.replace(/^invalid proxy URL "[^"]*"/, `invalid proxy URL ${raw}`)
        : spec.message,
    );
  return value;
}

// RFC 9110 token: anything else would make fetch() throw on every request to this model.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function headerRewrite(r: Reporter, value: unknown, at: string): Record<string, string | null> {
  const json =
    typeof value === "string" ? parseJsonObject(r, value, at, "rewrite_header") : undefined;
  if (json)
    for (const p of schemaProblems(HeaderRewrite, json, insideEnv(r, at)))
      r.errorInside("SCHEMA", at, json, p.pointer, p.message);
  const headers = json ?? value;
  if (!isMapping(headers)) return {};

  const out: Record<string, string | null> = {};
  const spelled = new Map<string, string>();
  for (const [name, v] of Object.entries(headers)) {
    const report = (code: ConfigIssueCode, message: string) =>
      json
        ? r.errorInside(code, at, json, `/${escape(name)}`, message)
        : r.error(code, `${at}/${escape(name)}`, message, true);
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name))
      report("INVALID_VALUE", `${JSON.stringify(name)} is not a valid header name`);
    const earlier = spelled.get(lower);
    // Names are case-insensitive, so two spellings would silently race; make the user pick one.
    if (earlier !== undefined)
      report("DUPLICATE_NAME", `header "${lower}" is given twice (as "${earlier}" and "${name}")`);
    spelled.set(lower, name);
    if (typeof v === "string" || v === null) out[lower] = v;
  }
  return out;
}

function bodyRewrite(r: Reporter, value: unknown, at: string): Record<string, unknown> | undefined {
  if (typeof value === "string") {
    const json = parseJsonObject(r, value, at, "rewrite_body");
    if (json)
      for (const p of schemaProblems(BodyRewrite, json, insideEnv(r, at)))
        r.errorInside("SCHEMA", at, json, p.pointer, p.message);
    return json;
  }
  return isMapping(value) ? value : undefined;
}

function parseJsonObject(r: Reporter, text: string, at: string, key: string): Mapping | undefined {
  const raw = r.raw(at);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // The parser's message quotes the text it stopped at, which from the environment may be a key.
    r.error(
      "INVALID_JSON",
      at,
      raw
        ? `${key} from ${raw} is not valid JSON`
        : `${key} is not valid JSON: ${(err as Error).message}`,
    );
    return undefined;
  }
  if (isMapping(parsed)) return parsed;
  r.error("INVALID_JSON", at, `${key} must be a JSON object, got ${raw ?? describeValue(parsed)}`);
  return undefined;
}

/** For a JSON string from the environment, what its messages show instead of the values inside it. */
function insideEnv(r: Reporter, at: string): ((pointer: string) => string | undefined) | undefined {
  const raw = r.raw(at);
  return raw ? () => `a value from ${raw}` : undefined;
}
