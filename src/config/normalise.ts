/**
 * Raw document → RouterConfig, plus the checks a schema cannot express (uniqueness, references,
 * JSON inside strings, sizes). It runs even when schema validation failed, so every piece is read
 * defensively: a wrongly-typed value has already been reported and is simply skipped here.
 */
import { FALLBACK_FORMAT, isFormatId } from "../wire";
import { parseProxyUrl } from "./proxy-spec";
import { HeaderRewrite, BodyRewrite } from "./schema";
import { dotted, escape, findLocation, type Location } from "./positions";
import { closest, describeValue, schemaProblems } from "./validate";
import { serverSettings } from "./server-settings";
import { isMapping, list, mapping, type Mapping } from "./shape";
import {
  DEFAULT_API_BASE,
  DEFAULT_TIMEOUTS,
  DEFAULT_WEIGHT,
  STRATEGIES,
  type ConfigIssue,
  type GroupConfig,
  type GroupMember,
  type ModelConfig,
  type RouterConfig,
  type SourcePos,
  type Strategy,
  type Timeouts,
} from "./types";

/** Collects issues and warnings, resolving JSON pointers to dotted paths and file positions. */
export class Reporter {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  constructor(
    readonly data: unknown,
    private readonly locations: Map<string, Location>,
  ) {}

  /** Value position by default; `preferKey` for problems about the key itself (unknown, missing). */
  pos(pointer: string, preferKey = false): SourcePos | undefined {
    const loc = findLocation(this.locations, pointer);
    return preferKey ? (loc.keyPos ?? loc.pos) : (loc.pos ?? loc.keyPos);
  }
  path(pointer: string): string {
    return dotted(pointer, this.data);
  }
  /** The `${VAR}` text a value came from, when it came from the environment. */
  raw(pointer: string): string | undefined {
    return this.locations.get(pointer)?.raw;
  }
  /** A value as messages may quote it: its `${VAR}` when it came from the environment (often a key). */
  quote(pointer: string, value: unknown): string {
    return this.raw(pointer) ?? JSON.stringify(value);
  }
  error(pointer: string, message: string, preferKey = false): void {
    this.issues.push({ path: this.path(pointer), pos: this.pos(pointer, preferKey), message });
  }
  warn(pointer: string, message: string): void {
    this.warnings.push({ path: this.path(pointer), pos: this.pos(pointer, true), message });
  }
  /** For problems inside a JSON string: the path goes into the JSON, the position is the string's. */
  errorInside(pointer: string, json: unknown, sub: string, message: string): void {
    this.issues.push({
      path: dotted(sub, json, this.path(pointer)),
      pos: this.pos(pointer),
      message,
    });
  }
}

export function normalise(r: Reporter, source: string): RouterConfig {
  const root = mapping(r.data);
  const models = new Map<string, ModelConfig>();
  const firstModel = new Map<string, string>();
  const modelList = list(root.model_list);
  let everyModelNamed = Array.isArray(root.model_list);
  const globalTimeouts = timeouts(mapping(root.router_settings).timeouts, DEFAULT_TIMEOUTS);

  modelList.forEach((entry, i) => {
    const at = `/model_list/${i}`;
    const model = modelConfig(r, mapping(entry), at, globalTimeouts);
    if (!model.name) {
      everyModelNamed = false;
      return;
    }
    const first = firstModel.get(model.name);
    if (first !== undefined) {
      r.error(
        `${at}/model_name`,
        `duplicate model_name "${model.name}" (first defined at ${where(r, first)})`,
      );
    } else {
      firstModel.set(model.name, `${at}/model_name`);
      models.set(model.name, model);
    }
  });

  const settings = mapping(root.router_settings);
  const groups = new Map<string, GroupConfig>();
  const firstGroup = new Map<string, string>();
  list(settings.model_groups).forEach((entry, i) => {
    const at = `/router_settings/model_groups/${i}`;
    const group = mapping(entry);
    const name = typeof group.name === "string" ? group.name : "";
    const members = groupMembers(r, group, at, name, everyModelNamed ? models : undefined);
    if (!name) return;
    const first = firstGroup.get(name);
    if (first !== undefined) {
      r.error(`${at}/name`, `duplicate group name "${name}" (first defined at ${where(r, first)})`);
    } else {
      firstGroup.set(name, `${at}/name`);
      groups.set(name, { name, members });
    }
  });

  const strategy = STRATEGIES.includes(settings.strategy as Strategy)
    ? (settings.strategy as Strategy)
    : "roundrobin";
  return {
    source,
    models,
    groups,
    strategy,
    server: serverSettings(r, mapping(root.server_settings)),
    warnings: r.warnings,
  };
}

/** Seconds in the file, milliseconds in the config; keys left out keep `base`. */
function timeouts(raw: unknown, base: Timeouts): Timeouts {
  const t = mapping(raw);
  const ms = (v: unknown, d: number) =>
    typeof v === "number" && v >= 0 ? Math.round(v * 1000) : d;
  return {
    connect: ms(t.connect, base.connect),
    firstByte: ms(t.first_byte, base.firstByte),
    idle: ms(t.idle, base.idle),
    total: ms(t.total, base.total),
  };
}

function modelConfig(
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
        `${p}/api_base`,
        `api_base is not a valid URL: ${r.quote(`${p}/api_base`, params.api_base)}`,
      );
    }
    apiBase = params.api_base.replace(/\/+$/, "");
  }
  const rewriteBody = bodyRewrite(r, params.rewrite_body, `${p}/rewrite_body`);
  return {
    name: typeof entry.model_name === "string" ? entry.model_name : "",
    apiType,
    model: typeof params.model === "string" ? params.model : "",
    apiBase,
    apiKey: typeof params.api_key === "string" ? params.api_key : "",
    rewriteHeader: headerRewrite(r, params.rewrite_header, `${p}/rewrite_header`),
    ...(rewriteBody ? { rewriteBody } : {}),
    ...(typeof params.default_max_tokens === "number"
      ? { defaultMaxTokens: params.default_max_tokens }
      : {}),
    ...(typeof params.max_output_tokens === "number"
      ? { maxOutputTokens: params.max_output_tokens }
      : {}),
    ...(typeof params.proxy === "string"
      ? { proxy: checkedProxy(r, params.proxy, `${p}/proxy`) }
      : {}),
    timeouts: timeouts(params.timeouts, globalTimeouts),
    ...(params.forward_betas === false ? { forwardBetas: false } : {}),
  };
}

/** Validated like --proxy; the message never repeats credentials. */
function checkedProxy(r: Reporter, value: string, at: string): string {
  const spec = parseProxyUrl(value);
  const raw = r.raw(at);
  // The message names the URL (credentials masked); from the environment, not even its host.
  if (spec instanceof Error)
    r.error(
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
      r.errorInside(at, json, p.pointer, p.message);
  const headers = json ?? value;
  if (!isMapping(headers)) return {};

  const out: Record<string, string | null> = {};
  const spelled = new Map<string, string>();
  for (const [name, v] of Object.entries(headers)) {
    const report = (message: string) =>
      json
        ? r.errorInside(at, json, `/${escape(name)}`, message)
        : r.error(`${at}/${escape(name)}`, message, true);
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) report(`${JSON.stringify(name)} is not a valid header name`);
    const earlier = spelled.get(lower);
    // Names are case-insensitive, so two spellings would silently race; make the user pick one.
    if (earlier !== undefined)
      report(`header "${lower}" is given twice (as "${earlier}" and "${name}")`);
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
        r.errorInside(at, json, p.pointer, p.message);
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
      at,
      raw
        ? `${key} from ${raw} is not valid JSON`
        : `${key} is not valid JSON: ${(err as Error).message}`,
    );
    return undefined;
  }
  if (isMapping(parsed)) return parsed;
  r.error(at, `${key} must be a JSON object, got ${raw ?? describeValue(parsed)}`);
  return undefined;
}

/** For a JSON string from the environment, what its messages show instead of the values inside it. */
function insideEnv(r: Reporter, at: string): ((pointer: string) => string | undefined) | undefined {
  const raw = r.raw(at);
  return raw ? () => `a value from ${raw}` : undefined;
}

function groupMembers(
  r: Reporter,
  group: Mapping,
  at: string,
  groupName: string,
  known: Map<string, ModelConfig> | undefined,
): GroupMember[] {
  const members: GroupMember[] = [];
  const firstAt = new Map<string, string>();
  list(group.models).forEach((entry, i) => {
    const m = mapping(entry);
    const mp = `${at}/models/${i}`;
    const name = typeof m.name === "string" ? m.name : "";
    if (name) {
      const first = firstAt.get(name);
      if (first !== undefined) {
        r.error(
          `${mp}/name`,
          `model "${name}" is listed twice in group "${groupName}" (first at ${where(r, first)})`,
        );
      }
      firstAt.set(name, first ?? `${mp}/name`);
      // `known` is withheld when some model_list entry lacks a usable name, to avoid false alarms.
      if (known && !known.has(name)) r.error(`${mp}/name`, unknownModel(name, [...known.keys()]));
    }
    const member: GroupMember = {
      model: name,
      weight: typeof m.weight === "number" ? m.weight : DEFAULT_WEIGHT,
    };
    if (typeof m.selector === "string") {
      member.selector = m.selector;
      member.selectorPos = r.pos(`${mp}/selector`);
    }
    members.push(member);
  });
  return members;
}

function unknownModel(name: string, defined: string[]): string {
  const guess = closest(name, defined);
  if (guess) return `model "${name}" is not defined in model_list; did you mean "${guess}"?`;
  const shown = defined.length > 8 ? [...defined.slice(0, 8), "..."] : defined;
  return `model "${name}" is not defined in model_list (defined: ${shown.join(", ")})`;
}

function where(r: Reporter, pointer: string): string {
  const pos = r.pos(pointer);
  return pos ? `line ${pos.line}, col ${pos.col}` : r.path(pointer);
}
