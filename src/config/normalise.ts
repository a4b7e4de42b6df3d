/**
 * Raw document → RouterConfig, plus the checks a schema cannot express (uniqueness, references,
 * JSON inside strings, sizes). It runs even when schema validation failed, so every piece is read
 * defensively: a wrongly-typed value has already been reported and is simply skipped here.
 */
import { isIP } from "node:net";
import { totalmem } from "node:os";
import { parseProxyUrl } from "../upstream/proxy/spec";
import { HeaderRewrite, BodyRewrite } from "./schema";
import { dotted, escape, findLocation, type Location } from "./positions";
import { closest, describeValue, schemaProblems } from "./validate";
import {
  API_TYPES,
  DEFAULT_API_BASE,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MEDIA,
  DEFAULT_TIMEOUTS,
  DEFAULT_WEIGHT,
  STRATEGIES,
  type ApiType,
  type ConfigIssue,
  type GroupConfig,
  type GroupMember,
  type MediaSettings,
  type ModelConfig,
  type RouterConfig,
  type SourcePos,
  type Strategy,
  type Timeouts,
} from "./types";

type Mapping = Record<string, unknown>;

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
    this.issues.push({ path: dotted(sub, json, this.path(pointer)), pos: this.pos(pointer), message });
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
      r.error(`${at}/model_name`, `duplicate model_name "${model.name}" (first defined at ${where(r, first)})`);
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

  const strategy = STRATEGIES.includes(settings.strategy as Strategy) ? (settings.strategy as Strategy) : "roundrobin";
  const maxBodyBytes = bodySize(r, "max_body_size", mapping(root.server_settings).max_body_size) ?? DEFAULT_MAX_BODY_BYTES;
  const maxTotalBodyBytes = totalBodySize(r, mapping(root.server_settings).max_total_body_size, maxBodyBytes);
  const metricsPublic = mapping(root.server_settings).metrics_public === true;
  const bodyTimeout = mapping(root.server_settings).body_timeout;
  const bodyTimeoutMs = typeof bodyTimeout === "number" && bodyTimeout > 0 ? Math.round(bodyTimeout * 1000) : 30_000;
  const maxResponseBytes = bodySize(r, "max_response_size", mapping(root.server_settings).max_response_size) ?? DEFAULT_MAX_RESPONSE_BYTES;
  const media = mediaSettings(r, mapping(mapping(root.server_settings).media));
  return {
    source,
    models,
    groups,
    strategy,
    server: { maxBodyBytes, maxTotalBodyBytes, metricsPublic, bodyTimeoutMs, maxResponseBytes, media },
    warnings: r.warnings,
  };
}

function mediaSettings(r: Reporter, raw: Mapping): MediaSettings {
  const at = "/server_settings/media";
  const allowHosts: string[] = [];
  list(raw.allow_hosts).forEach((h, i) => {
    if (typeof h !== "string") return;
    const host = h.trim().toLowerCase();
    if (host.includes("/") && !isCidr(host)) r.error(`${at}/allow_hosts/${i}`, `allow_hosts entry ${JSON.stringify(h)} is neither a host name nor a CIDR range such as 10.0.0.0/8`);
    else allowHosts.push(host);
  });
  return {
    download: raw.download !== false,
    allowPrivate: raw.allow_private === true,
    allowHosts,
    maxUrls: typeof raw.max_urls === "number" && Number.isInteger(raw.max_urls) && raw.max_urls >= 0 ? raw.max_urls : DEFAULT_MEDIA.maxUrls,
    maxBytes: bodySize(r, "media/max_bytes", raw.max_bytes) ?? DEFAULT_MEDIA.maxBytes,
    timeoutMs: typeof raw.timeout === "number" && raw.timeout > 0 ? Math.round(raw.timeout * 1000) : DEFAULT_MEDIA.timeoutMs,
  };
}

/** `a.b.c.d/n` or an IPv6 address with `/n`; the address itself is checked by net.isIP. */
function isCidr(text: string): boolean {
  const [addr, bits, extra] = text.split("/");
  if (extra !== undefined || !addr || !bits || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(addr);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Seconds in the file, milliseconds in the config; keys left out keep `base`. */
function timeouts(raw: unknown, base: Timeouts): Timeouts {
  const t = mapping(raw);
  const ms = (v: unknown, d: number) => (typeof v === "number" && v >= 0 ? Math.round(v * 1000) : d);
  return { connect: ms(t.connect, base.connect), firstByte: ms(t.first_byte, base.firstByte), idle: ms(t.idle, base.idle), total: ms(t.total, base.total) };
}

function modelConfig(r: Reporter, entry: Mapping, at: string, globalTimeouts: Timeouts): ModelConfig {
  const params = mapping(entry.llm_params);
  const p = `${at}/llm_params`;
  const apiType = API_TYPES.includes(params.api_type as ApiType) ? (params.api_type as ApiType) : "openai";
  let apiBase = DEFAULT_API_BASE[apiType];
  if (typeof params.api_base === "string") {
    // The schema already insists on the scheme; this catches the rest of a malformed URL.
    if (/^https?:\/\//.test(params.api_base) && !URL.canParse(params.api_base)) {
      r.error(`${p}/api_base`, `api_base is not a valid URL: ${r.quote(`${p}/api_base`, params.api_base)}`);
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
    ...(typeof params.default_max_tokens === "number" ? { defaultMaxTokens: params.default_max_tokens } : {}),
    ...(typeof params.max_output_tokens === "number" ? { maxOutputTokens: params.max_output_tokens } : {}),
    ...(typeof params.proxy === "string" ? { proxy: checkedProxy(r, params.proxy, `${p}/proxy`) } : {}),
    timeouts: timeouts(params.timeouts, globalTimeouts),
    ...(params.forward_betas === false ? { forwardBetas: false } : {}),
  };
}

/** Validated like --proxy; the message never repeats credentials. */
function checkedProxy(r: Reporter, value: string, at: string): string {
  const spec = parseProxyUrl(value);
  const raw = r.raw(at);
  // The message names the URL (credentials masked); from the environment, not even its host.
  if (spec instanceof Error) r.error(at, raw ? spec.message.replace(/^invalid proxy URL "[^"]*"/, `invalid proxy URL ${raw}`) : spec.message);
  return value;
}

// RFC 9110 token: anything else would make fetch() throw on every request to this model.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function headerRewrite(r: Reporter, value: unknown, at: string): Record<string, string | null> {
  const json = typeof value === "string" ? parseJsonObject(r, value, at, "rewrite_header") : undefined;
  if (json) for (const p of schemaProblems(HeaderRewrite, json, insideEnv(r, at))) r.errorInside(at, json, p.pointer, p.message);
  const headers = json ?? value;
  if (!isMapping(headers)) return {};

  const out: Record<string, string | null> = {};
  const spelled = new Map<string, string>();
  for (const [name, v] of Object.entries(headers)) {
    const report = (message: string) =>
      json ? r.errorInside(at, json, `/${escape(name)}`, message) : r.error(`${at}/${escape(name)}`, message, true);
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) report(`${JSON.stringify(name)} is not a valid header name`);
    const earlier = spelled.get(lower);
    // Names are case-insensitive, so two spellings would silently race; make the user pick one.
    if (earlier !== undefined) report(`header "${lower}" is given twice (as "${earlier}" and "${name}")`);
    spelled.set(lower, name);
    if (typeof v === "string" || v === null) out[lower] = v;
  }
  return out;
}

function bodyRewrite(r: Reporter, value: unknown, at: string): Record<string, unknown> | undefined {
  if (typeof value === "string") {
    const json = parseJsonObject(r, value, at, "rewrite_body");
    if (json) for (const p of schemaProblems(BodyRewrite, json, insideEnv(r, at))) r.errorInside(at, json, p.pointer, p.message);
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
    r.error(at, raw ? `${key} from ${raw} is not valid JSON` : `${key} is not valid JSON: ${(err as Error).message}`);
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
        r.error(`${mp}/name`, `model "${name}" is listed twice in group "${groupName}" (first at ${where(r, first)})`);
      }
      firstAt.set(name, first ?? `${mp}/name`);
      // `known` is withheld when some model_list entry lacks a usable name, to avoid false alarms.
      if (known && !known.has(name)) r.error(`${mp}/name`, unknownModel(name, [...known.keys()]));
    }
    const member: GroupMember = { model: name, weight: typeof m.weight === "number" ? m.weight : DEFAULT_WEIGHT };
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

const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 };

/** A size setting in bytes; undefined when it is not set (or not a size, which the schema reported). */
function bodySize(r: Reporter, key: string, value: unknown): number | undefined {
  const at = `/server_settings/${key}`;
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const factor = m ? UNITS[(m[2] || "B").toUpperCase()] : undefined;
  // The schema pattern has already rejected anything this regex would, so only the range remains.
  if (!m || factor === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * factor);
  if (bytes < 1 || !Number.isSafeInteger(bytes)) {
    const range = `at least 1 byte and at most ${Number.MAX_SAFE_INTEGER}`;
    r.error(at, `${key} must be ${range}, got ${r.quote(at, value)}`);
  }
  return bytes;
}

/** An eighth of the memory this process may use: its cgroup's limit when it has one, else the machine's. */
function defaultTotalBodyBytes(): number {
  const machine = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return Math.floor((constrained > 0 && constrained < machine ? constrained : machine) / 8);
}

function totalBodySize(r: Reporter, value: unknown, maxBodyBytes: number): number {
  const set = bodySize(r, "max_total_body_size", value);
  if (set === undefined) return Math.max(maxBodyBytes, defaultTotalBodyBytes());
  // Below one body's limit, a body the router accepts could never be read. (A size that is not
  // one at all was reported by the schema.)
  if (Number.isSafeInteger(set) && set >= 1 && set < maxBodyBytes) r.error("/server_settings/max_total_body_size", `max_total_body_size (${set} bytes) must be at least max_body_size (${maxBodyBytes} bytes)`);
  return set;
}

function where(r: Reporter, pointer: string): string {
  const pos = r.pos(pointer);
  return pos ? `line ${pos.line}, col ${pos.col}` : r.path(pointer);
}

function isMapping(v: unknown): v is Mapping {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function mapping(v: unknown): Mapping {
  return isMapping(v) ? v : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
