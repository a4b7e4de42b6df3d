import { isLoopback } from "../auth";
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { formatIssue, type RouterConfig } from "../config/types";
import { loadRuntime, type Runtime } from "../core/runtime";
import { configSecrets, createLogger, proxyCredentials, type RouterLogger } from "../log";
import { createMetricsEndpoint, Metrics } from "../metrics";
import { serve, type RunningServer } from "../server/serve";
import { closeProxies, PROXY_URL_VARIABLES } from "../upstream/proxy";
import { VERSION } from "../version";
import { UsageError, type Options } from "./args";
import { loadCheckedConfig } from "./config";
import { describeChanges } from "./reload-diff";
import { describeState, StateKeeper, storeOpener } from "./state";

/** Shorter tokens can be guessed by whoever can reach the port; the router still accepts them. */
const MIN_TOKEN_LENGTH = 16;
/** How long running requests may take to finish after SIGTERM before connections are cut. */
const SHUTDOWN_GRACE_MS = 30_000;

export interface Router {
  server: RunningServer;
  runtime(): Runtime;
  /** Loads and validates the config file again; swaps only when all of it is valid. */
  reload(): Promise<boolean>;
  /** Stops accepting, lets running requests finish (up to the grace period), then closes. */
  shutdown(graceMs?: number): Promise<void>;
}

/** Loads the config and starts serving; returns once listening. Config errors propagate as ConfigError. */
export async function startRouter(
  opts: Options,
  env: Record<string, string | undefined> = process.env,
): Promise<Router> {
  const configPath = resolve(opts.config);
  const config = await loadCheckedConfig(configPath, env);
  // Secrets from outside the config file, masked like the config's own in logs and in answers.
  const extraSecrets = [
    opts.token,
    ...[opts.proxy, ...PROXY_URL_VARIABLES.map((k) => env[k])].flatMap(proxyCredentials),
  ];
  const secretsOf = (c: RouterConfig) => configSecrets(c, ...extraSecrets);
  const log = openLogger(opts, secretsOf(config));
  warnAbout(config, log);
  if (!opts.token && config.keys.length === 0 && !isLoopback(opts.ip)) {
    log.warn(
      `no token set (-t or LLM_ROUTER_TOKEN) and listening on ${opts.ip}: anyone who can reach this port can use your API keys`,
    );
  }
  if (opts.token && opts.token.length < MIN_TOKEN_LENGTH) {
    log.warn(
      `the router token is ${opts.token.length} characters long; use at least ${MIN_TOKEN_LENGTH} random characters (e.g. openssl rand -hex 16)`,
    );
  }
  const selectorLog = (
    level: "debug" | "info" | "warn",
    msg: string,
    fields?: Record<string, unknown>,
  ) => log[level](msg, fields);
  // A state file that cannot be opened fails startup here, before the port opens.
  const state = new StateKeeper(storeOpener(log, env), config.state, log);
  const buildRuntime = (c: RouterConfig, previous?: Runtime) =>
    loadRuntime(c, {
      health: previous?.health,
      log: selectorLog,
      extraSecrets,
      store: state.for(c.state),
    });
  // Selectors were checked with the config; the port opens while the engine's worker compiles them.
  let current = await loadRuntime(config, {
    log: selectorLog,
    waitForSelectors: false,
    extraSecrets,
    store: state.for(config.state),
  });
  const metrics = new Metrics();
  const names = (c: RouterConfig) =>
    metrics.setNames({
      groups: c.groups.keys(),
      models: c.models.keys(),
      keys: c.keys.map((k) => k.name),
    });
  names(config);
  metrics.setInFlightSource(
    () => new Map([...current.config.models.keys()].map((m) => [m, current.health.inFlight(m)])),
  );
  metrics.setWeightSource(
    () =>
      new Map(
        [...current.config.models.keys()].map((m) => [m, current.health.effectiveWeight(m, 100)]),
      ),
  );
  metrics.setCooldownSource(
    () =>
      new Map(
        [...current.config.models.keys()].map((m) => {
          const left = current.health.coolingRemaining(m);
          return [m, left > 0 ? (current.health.clock.now() + left) / 1000 : 0];
        }),
      ),
  );

  const server = serve(
    // Workers started by --workers share their port on purpose; a lone router must own it.
    {
      hostname: opts.ip,
      port: opts.port,
      maxBodyBytes: config.server.maxBodyBytes,
      reusePort: env.LLM_ROUTER_WORKER === "1",
    },
    {
      runtime: () => current,
      token: opts.token,
      log,
      metrics,
      metricsEndpoint: createMetricsEndpoint(metrics, {
        token: opts.token,
        public: () => current.config.server.metricsPublic === true,
      }),
    },
  );

  let reloading: Promise<boolean> | undefined;
  async function reload(): Promise<boolean> {
    try {
      const next = await loadCheckedConfig(configPath, env);
      const runtime = await buildRuntime(next, current);
      const previous = current;
      current = runtime;
      log.setSecrets([...secretsOf(previous.config), ...secretsOf(next)]);
      names(next);
      watcher.watch(watchedFiles(configPath, next));
      warnAbout(next, log);
      log.info("reload", describeChanges(previous.config, next));
      // Requests that started on the previous runtime may still be asking its selectors.
      setTimeout(() => void previous.close(), 10_000).unref();
      return true;
    } catch (err) {
      log.error("reload failed; still serving the previous config", {
        error: (err as Error).message,
      });
      return false;
    }
  }
  // One reload at a time; a change during a reload triggers one more afterwards.
  let again = false;
  const scheduleReload = async (): Promise<boolean> => {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = reload().finally(() => {
      reloading = undefined;
      if (again) ((again = false), void scheduleReload());
    });
    return reloading;
  };
  // Watching starts before the listening line: a script that edits the file as soon as the router
  // says it is up must not fall into a gap where the edit is never seen.
  const watcher = watchConfig(watchedFiles(configPath, config), () => void scheduleReload(), log);
  const groups = [...config.groups.keys()];
  // A worker's line is completed by its supervisor, which says how the workers share the limits.
  const keys =
    config.keys.length === 0
      ? ""
      : env.LLM_ROUTER_WORKER === "1"
        ? `; ${config.keys.length} keys`
        : `; ${config.keys.length} keys, limits counted ${describeState(config.state)}`;
  // A model whose key variable is unset fails every call; saying so here saves a first request.
  const unset = [...config.models.values()].filter((m) => m.apiKeyUnset).map((m) => m.name);
  const keyless = unset.length > 0 ? `; api_key not set for ${unset.join(", ")}` : "";
  process.stdout.write(
    `llm-router ${VERSION} listening on ${server.url.origin} (${groups.length} groups: ${groups.join(", ")}; ${config.models.size} models${keys}${keyless})\n`,
  );
  try {
    // Requests that need selectors wait for this; an engine that cannot start fails startup as before.
    await current.ready;
  } catch (err) {
    watcher.close();
    await server.stop(true);
    await state.close();
    throw err;
  }

  return {
    server,
    runtime: () => current,
    reload: scheduleReload,
    async shutdown(graceMs = SHUTDOWN_GRACE_MS) {
      watcher.close();
      const graceful = server.stop(false).then(() => true);
      const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref());
      if (!(await Promise.race([graceful, timeout]))) {
        log.warn(`requests still running after ${graceMs} ms; closing their connections`);
        await server.stop(true);
      }
      await current.close();
      await state.close();
      await closeProxies();
      await log.close();
    },
  };
}

/** A --log-file that cannot be opened (a symbolic link, a missing directory) is a bad flag value: exit 2. */
function openLogger(opts: Options, secrets: string[]): RouterLogger {
  try {
    return createLogger({ level: opts.logLevel, file: opts.logFile, secrets });
  } catch (err) {
    if (opts.logFile) throw new UsageError(`--log-file: ${(err as Error).message}`);
    throw err;
  }
}

function warnAbout(config: RouterConfig, log: RouterLogger): void {
  for (const w of config.warnings) log.warn(formatIssue(config.source, w));
}

/** The files a reload reads: the config, and the keys file it names. */
function watchedFiles(configPath: string, config: RouterConfig): string[] {
  return config.keysFile ? [configPath, config.keysFile] : [configPath];
}

interface ConfigWatcher {
  /** Watches these files from now on (a reload may have named another keys file). */
  watch(paths: string[]): void;
  close(): void;
}

/**
 * Watches the directories of the config and keys files rather than the files: editors and
 * config managers often replace a file by renaming a new one over it, which ends a watch on the
 * old file. The keys file may live in another directory than the config. Changes are debounced
 * because one save can fire several events.
 */
function watchConfig(paths: string[], onChange: () => void, log: RouterLogger): ConfigWatcher {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watchers: FSWatcher[] = [];
  let watching = "";
  const self: ConfigWatcher = {
    watch(next) {
      const names = new Map<string, Set<string>>();
      for (const p of next)
        names.set(dirname(p), (names.get(dirname(p)) ?? new Set()).add(basename(p)));
      const key = JSON.stringify([...names].map(([dir, files]) => [dir, [...files]]));
      if (key === watching) return;
      watching = key;
      for (const w of watchers) w.close();
      watchers = [];
      for (const [dir, files] of names) {
        try {
          const w = watch(dir, (_event, name) => {
            if (name !== null && !files.has(name)) return;
            clearTimeout(timer);
            timer = setTimeout(onChange, 200);
          });
          w.unref();
          watchers.push(w);
        } catch (err) {
          log.warn("cannot watch the config file for changes; reload with SIGHUP", {
            directory: dir,
            error: (err as Error).message,
          });
        }
      }
    },
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      watchers = [];
    },
  };
  self.watch(paths);
  return self;
}
