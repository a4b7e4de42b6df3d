/** The validated, normalised configuration the router runs on. Built once at load; never parsed per request. */
import { FORMAT_IDS, FORMATS, type FormatId } from "../wire";
import { MEDIA_DEFAULTS, SERVER_DEFAULTS, TIMEOUT_DEFAULTS } from "./defaults";
import type { SourcePos } from "./source-pos";
import type { KeyConfig, Pricing, StateSettings } from "./teams-types";
import { secondsToMs, sizeInBytes } from "./units";

/** A model's `api_type`: one of the wire formats the router speaks (src/wire/index.ts). */
export type ApiType = FormatId;
export const API_TYPES: readonly ApiType[] = FORMAT_IDS;

export type Strategy = "roundrobin" | "random" | "leastconn";
export const STRATEGIES: readonly Strategy[] = ["roundrobin", "random", "leastconn"];

/**
 * `session`: a request that belongs to a conversation goes where that conversation's earlier turns
 * went (rendezvous hashing of its session key); `none`: the strategy decides every request alone.
 */
export type Affinity = "session" | "none";
export const AFFINITIES: readonly Affinity[] = ["session", "none"];

export type { SourcePos } from "./source-pos";
export * from "./teams-types";

export interface ModelConfig {
  /** `model_list[].model_name`: the name groups refer to. */
  name: string;
  apiType: ApiType;
  /** The upstream's own model id, sent in the body (OpenAI/Anthropic) or URL path (Gemini). */
  model: string;
  /** Normalised: no trailing slash. Defaults per api_type when omitted. */
  apiBase: string;
  /** Empty string when the key is absent or its variable is unset: the model loads, `--check` reports it. */
  apiKey: string;
  /**
   * The `${VAR}` text of an api_key that came out empty (its variable unset): calls to the model
   * fail at once, naming it, instead of reaching the provider without a key. Undefined when the
   * key is set, or absent (a server that needs none).
   */
  apiKeyUnset?: string;
  /** Header name (lower-case) → value; `null` removes the header from the upstream request. */
  rewriteHeader: Record<string, string | null>;
  /** RFC 7396 merge patch applied to the upstream request body; undefined when not configured. */
  rewriteBody?: Record<string, unknown>;
  /** max_tokens to send when the client gave none and the target requires one (Anthropic). */
  defaultMaxTokens?: number;
  /** Upper bound for max_tokens sent to this model (e.g. 8192 for DeepSeek); larger requests are clamped. */
  maxOutputTokens?: number;
  /**
   * The model's context window in tokens: a request whose estimate plus its requested output does
   * not fit skips this model. Unset: the router never estimates on its account.
   */
  contextWindow?: number;
  /** Proxy for this model's calls (http://, https://, socks5://, socks5h://); beats --proxy. */
  proxy?: string;
  /** Effective limits: the model's own, else router_settings.timeouts, else the defaults. */
  timeouts: Timeouts;
  /**
   * Forward an Anthropic client's `anthropic-beta` / `anthropic-version` headers to this
   * (Anthropic) upstream; such headers from other clients are never forwarded. The loader always
   * sets it (DEFAULT_FORWARD_BETAS when the file does not); a config built by hand
   * may leave it out, which forwards them.
   */
  forwardBetas?: boolean;
  /** USD per million tokens; undefined: the model's answers cost 0 (and `--check` says so). */
  pricing?: Pricing;
}

export interface GroupMember {
  /** Refers to ModelConfig.name (validated at load). */
  model: string;
  /** Non-negative integer, DEFAULT_WEIGHT when not set. */
  weight: number;
  selector?: string;
  selectorPos?: SourcePos;
  /** Most requests the member's model may have in flight (from every group) before it is skipped. */
  maxParallel?: number;
}

/**
 * The loader sets every optional field; a group built by hand (tests) without them routes
 * without affinity, with the balancer's default attempt budget and no fallbacks.
 */
export interface GroupConfig {
  name: string;
  members: GroupMember[];
  affinity?: Affinity;
  /** Most models one request to this group tries, its fallback groups' included. */
  maxAttempts?: number;
  /** The groups tried, in order, when none of this group's members could answer. */
  fallbacks?: string[];
  /**
   * This group, then its fallbacks and theirs, depth first, each once: the order a request may
   * move through groups. Computed at load, where fallback cycles are refused.
   */
  chain?: string[];
}

/** Upstream time limits in milliseconds; 0 turns one off. Defaults: DEFAULT_TIMEOUTS. */
export interface Timeouts {
  /** Until the upstream has accepted the request and sent its response headers. */
  connect: number;
  /** Until the first byte of the answer (for non-streamed answers: the whole answer). */
  firstByte: number;
  /** Longest silence between two chunks of a streamed answer. */
  idle: number;
  /** The whole exchange, first byte to last. */
  total: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connect: secondsToMs(TIMEOUT_DEFAULTS.connect),
  firstByte: secondsToMs(TIMEOUT_DEFAULTS.first_byte),
  idle: secondsToMs(TIMEOUT_DEFAULTS.idle),
  total: secondsToMs(TIMEOUT_DEFAULTS.total),
};

/** Defaults: the DEFAULT_* constants below, from SERVER_DEFAULTS. */
export interface ServerSettings {
  /** Request bodies above this many bytes are refused with 413. */
  maxBodyBytes: number;
  /**
   * The bytes all request bodies may hold at once; a body that would pass it gets 503 (retry
   * shortly). Default an eighth of the memory the process may use, and never below maxBodyBytes.
   */
  maxTotalBodyBytes: number;
  /** GET /metrics without the router token. */
  metricsPublic: boolean;
  /** A request body must have fully arrived this long after its headers (slowloris). */
  bodyTimeoutMs: number;
  /**
   * Upstream bodies read whole (JSON answers, error bodies, token counts) may not exceed this many
   * bytes after decompression.
   */
  maxResponseBytes: number;
  /**
   * Silence on a converted stream after which the client is sent its format's keep-alive; 0 = never.
   * Agents abort a stream that stays quiet too long, and a model that thinks for a minute is quiet.
   */
  streamKeepAliveMs: number;
  /** Remote media (image and document URLs) the router downloads for targets that cannot fetch them. */
  media: MediaSettings;
}

/** Defaults: DEFAULT_MEDIA, from MEDIA_DEFAULTS. */
export interface MediaSettings {
  /** Download remote media at all; when false, a URL a target cannot take is a 400. */
  download: boolean;
  /** Let downloads reach loopback, private, link-local and other internal addresses. */
  allowPrivate: boolean;
  /** Host names (exact, lower-case) and CIDR ranges that are always allowed, internal or not. */
  allowHosts: string[];
  /** Most media URLs one request may make the router download. */
  maxUrls: number;
  /** Most bytes all of one request's downloads may bring in together. */
  maxBytes: number;
  /** Time for all of one request's downloads together. */
  timeoutMs: number;
}

export const DEFAULT_MEDIA: MediaSettings = {
  download: MEDIA_DEFAULTS.download,
  allowPrivate: MEDIA_DEFAULTS.allow_private,
  allowHosts: [],
  maxUrls: MEDIA_DEFAULTS.max_urls,
  maxBytes: sizeInBytes(MEDIA_DEFAULTS.max_bytes)!,
  timeoutMs: secondsToMs(MEDIA_DEFAULTS.timeout),
};

// The table's sizes are constants the tests check, so they always parse.
export const DEFAULT_MAX_BODY_BYTES = sizeInBytes(SERVER_DEFAULTS.max_body_size)!;
export const DEFAULT_MAX_RESPONSE_BYTES = sizeInBytes(SERVER_DEFAULTS.max_response_size)!;
export const DEFAULT_BODY_TIMEOUT_MS = secondsToMs(SERVER_DEFAULTS.body_timeout);
export const DEFAULT_STREAM_KEEPALIVE_MS = secondsToMs(SERVER_DEFAULTS.stream_keepalive);

export interface RouterConfig {
  /** Absolute path of the file it was loaded from ("<inline>" for text). */
  source: string;
  models: Map<string, ModelConfig>;
  groups: Map<string, GroupConfig>;
  strategy: Strategy;
  /** Header names (lower-case) checked for a session key before the ones clients are known to send. */
  affinityKeys: string[];
  server: ServerSettings;
  /** The client keys, from `keys:` and `keys_file:`; empty: only the router token (if any) is checked. */
  keys: KeyConfig[];
  /** Absolute path of `keys_file:`, watched and reloaded with the config. */
  keysFile?: string;
  state: StateSettings;
  /**
   * Credentials the config holds outside its models (the keys' plain secrets, the state URL's
   * password), kept only so that logs and answers can mask them; never compared against.
   */
  secrets?: string[];
  /** Non-fatal findings (unknown keys, …), already formatted with path and line:col. */
  warnings: ConfigIssue[];
}

/**
 * What kind of problem an issue is, as a name that stays the same when a message is reworded, so
 * tools and tests can match on it (as eemeli/yaml's ErrorCode). README.md lists them too.
 */
export const CONFIG_ISSUE_CODES = {
  FILE: "the config file or its keys_file cannot be read (missing, a directory, no permission)",
  YAML_SYNTAX: "the text is not valid YAML, or a mapping repeats a key",
  YAML_WARNING: "the YAML parser's warnings; never fatal",
  YAML_STRUCTURE:
    "valid YAML the config cannot use: an alias with no anchor or inside its own value, a key that is not a plain string, a << merge of something other than a mapping",
  EMPTY: "the file holds no document",
  ENV_VAR: "a ${VAR} that is not set (and has no :- default), or a malformed reference",
  SCHEMA: "a value of the wrong type, form or range for its key",
  MISSING_KEY: "a required key is absent",
  UNKNOWN_KEY: "a key the schema does not know; a warning, with the likely intended key",
  INVALID_VALUE:
    "a value of the right type that cannot be used: a malformed URL or proxy, a header name, a size out of range, max_total_body_size below max_body_size, an allow_hosts entry, a key's empty or malformed sha256: secret, the reserved key name admin, an expires that is no date, a state URL that is not redis://, two price tiers at one threshold",
  INVALID_JSON: "rewrite_header or rewrite_body given as a string that is not a JSON object",
  DUPLICATE_NAME:
    "a model_name, group name or key name used twice, a model twice in one group, a header given twice, two keys with the same secret",
  UNKNOWN_MODEL: "a group names a model that model_list does not define",
  UNKNOWN_GROUP:
    "a group's fallbacks name a group that model_groups does not define; as a warning, a key's groups entry that matches no group",
  FALLBACK_CYCLE: "a group's fallbacks lead back to the group itself",
  SELECTOR: "a selector that does not compile",
} as const;

export type ConfigIssueCode = keyof typeof CONFIG_ISSUE_CODES;

export interface ConfigIssue {
  code: ConfigIssueCode;
  /** Dotted path into the document, e.g. `model_list[2].llm_params.api_type`. */
  path: string;
  pos?: SourcePos;
  message: string;
  /** The file the issue is in when it is not the config file itself (a keys_file). */
  file?: string;
}

/** Thrown by the loader when the config cannot be used; `issues` holds every problem found, not just the first. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(issues.map((i) => formatIssue(file, i)).join("\n"));
    this.name = "ConfigError";
  }
}

/** `file:line:col: path: message [CODE]`, one line. */
export function formatIssue(file: string, issue: ConfigIssue): string {
  const at = issue.file ?? file;
  const where = issue.pos ? `${at}:${issue.pos.line}:${issue.pos.col}` : at;
  return `${where}: ${issue.path ? issue.path + ": " : ""}${issue.message} [${issue.code}]`;
}

export const DEFAULT_API_BASE = Object.fromEntries(
  FORMAT_IDS.map((id) => [id, FORMATS[id].defaultApiBase]),
) as Record<ApiType, string>;
