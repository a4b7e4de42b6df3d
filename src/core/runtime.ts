import { createBalancer, HealthRegistry, type Balancer, type Clock, type Random } from "../balance";
import { SelectorEngine, type SelectorLog } from "../balance/selectors";
import type { ModelConfig, RouterConfig } from "../config/types";
import { configSecrets, SecretMask } from "../log/secrets";
import { MemoryStore, type StateStore } from "../teams";

/**
 * Everything a request needs that is built once per config: the config itself, the balancer
 * and, shared across reloads, the models' health. Requests read the runtime they started with,
 * so a reload never changes a request mid-flight.
 */
export interface Runtime {
  config: RouterConfig;
  balancer: Balancer;
  health: HealthRegistry;
  /**
   * Every secret the config holds (and the router token, proxy credentials), compiled once per
   * load: upstream error bodies and messages pass through it before a client sees them.
   */
  secrets: SecretMask;
  selectors?: SelectorEvaluator;
  /**
   * Where key limits and spend are counted: the process's own memory, Redis, or the --workers
   * supervisor. It outlives reloads (counters must), so it is handed from runtime to runtime.
   */
  store: StateStore;
  /** Settles once the selector engine can evaluate; rejects if it cannot start. */
  ready?: Promise<void>;
  /** Frees what this runtime owns (selector worker threads). */
  close(): Promise<void>;
}

/** The slice of the selector engine the request path uses; undefined when no group has selectors. */
export interface SelectorEvaluator {
  /** `tokens`, the request's estimated input tokens, is `$tokens` in the selectors (null when absent). */
  evaluate(group: string, body: Uint8Array, format: string, tokens?: number): Promise<string[]>;
  /** Some selector of the group reads `$tokens`: worth estimating the request before evaluate(). */
  needsTokens(group: string): boolean;
}

export interface RuntimeOptions {
  clock?: Clock;
  random?: Random;
  /** Kept across reloads so unchanged models keep their health. */
  health?: HealthRegistry;
  selectors?: SelectorEvaluator;
  cooldownMs?: number;
  maxAttempts?: number;
  /** Secrets from outside the config file: the router token, the credentials of `--proxy`. */
  extraSecrets?: (string | undefined)[];
  /** Kept across reloads; a fresh in-process store when not given. */
  store?: StateStore;
}

export function createRuntime(config: RouterConfig, opts: RuntimeOptions = {}): Runtime {
  const clock = opts.clock ?? { now: () => Date.now() };
  const health = opts.health ?? new HealthRegistry({ clock, cooldownMs: opts.cooldownMs });
  health.reconcile(new Map([...config.models].map(([name, m]) => [name, fingerprint(m)])));
  const balancer = createBalancer(config.strategy, health, {
    random: opts.random ?? Math.random,
    maxAttempts: opts.maxAttempts,
  });
  const secrets = new SecretMask(configSecrets(config, ...(opts.extraSecrets ?? [])));
  const store = opts.store ?? new MemoryStore();
  return {
    config,
    balancer,
    health,
    secrets,
    store,
    selectors: opts.selectors,
    close: async () => {},
  };
}

/**
 * A runtime with its selector engine: every selector compiled into worker threads before the
 * runtime exists, so a config whose selectors do not compile never replaces a working one.
 * With `waitForSelectors: false` it returns once the selectors are checked, while the worker is
 * still compiling them: requests that need selectors wait for it, and `ready` says whether it came up.
 */
export async function loadRuntime(
  config: RouterConfig,
  opts: RuntimeOptions & {
    selectorTimeoutMs?: number;
    log?: SelectorLog;
    waitForSelectors?: boolean;
  } = {},
): Promise<Runtime> {
  const groups = [...config.groups.values()];
  if (!groups.some((g) => g.members.some((m) => m.selector))) return createRuntime(config, opts);
  const engine = await SelectorEngine.create(
    groups.map((g) => ({ group: g.name, sources: g.members.map((m) => m.selector) })),
    {
      maxBodyBytes: config.server.maxBodyBytes,
      ...(opts.selectorTimeoutMs !== undefined ? { timeoutMs: opts.selectorTimeoutMs } : {}),
      ...(opts.log ? { log: opts.log } : {}),
      waitUntilReady: opts.waitForSelectors ?? true,
    },
  );
  const runtime = createRuntime(config, { ...opts, selectors: engine });
  return { ...runtime, ready: engine.ready, close: () => engine.close() };
}

/** A model's definition as health cares about it: a changed upstream starts with fresh health. */
function fingerprint(m: ModelConfig): string {
  return JSON.stringify([
    m.apiType,
    m.model,
    m.apiBase,
    m.apiKey,
    m.rewriteHeader,
    m.rewriteBody ?? null,
  ]);
}
