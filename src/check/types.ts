import type { ApiType, ConfigIssue, RouterConfig } from "../config/types";
import type { Listen } from "./findings";

/** `basic` always runs; the others run only when asked for and only after `basic` passed. */
export type CheckKind = "basic" | "stream" | "tools";
export const CHECK_KINDS: readonly CheckKind[] = ["basic", "stream", "tools"];

export interface ProbeResult {
  kind: CheckKind;
  ok: boolean;
  /** Not run because the basic probe of the same model failed: that failure already says why. */
  skipped?: boolean;
  /** The upstream's HTTP status, when it answered at all. */
  status?: number;
  latencyMs: number;
  /** One line, secrets redacted. */
  error?: string;
  /** Something worth knowing about a probe that passed (e.g. a parameter the upstream refuses). */
  note?: string;
}

export interface ModelReport {
  model: string;
  apiType: ApiType;
  upstreamModel: string;
  /** host[:port] of api_base: never a path, query or credentials. */
  host: string;
  ok: boolean;
  probes: ProbeResult[];
}

export interface CheckSummary {
  models: number;
  ok: number;
  failed: number;
  durationMs: number;
}

export interface CheckOptions {
  kinds: CheckKind[];
  json: boolean;
  /** Per probe, covering the whole answer (a stream is read to its end within it). */
  timeoutMs: number;
  /** Upstream requests in flight at once, across all models. */
  concurrency: number;
  color: boolean;
  out: (s: string) => void;
  /**
   * Where the router would listen (-i, and -t or LLM_ROUTER_TOKEN), for the findings about who
   * may use it there; undefined: those findings are not made.
   */
  listen?: Listen;
  /** Compiles every selector; issues make the config invalid (exit 2). Supplied by the selector engine. */
  checkSelectors?: (config: RouterConfig) => Promise<ConfigIssue[]>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Probes in flight at once; no flag changes it, the CLI passes this. */
export const DEFAULT_CONCURRENCY = 8;

export const EXIT_OK = 0;
export const EXIT_MODEL_FAILED = 1;
export const EXIT_CONFIG_INVALID = 2;
