import {
  ConfigError,
  loadConfigFile,
  type ConfigIssue,
  type Env,
  type ModelConfig,
  type RouterConfig,
} from "../config";
import { configFindings, type Finding } from "./findings";
import { runProbe } from "./probe";
import { configSecrets } from "../log/secrets";
import { hostOf } from "./redact";
import { jsonIssues, renderInvalidConfig, renderJson, renderTable } from "./report";
import {
  EXIT_CONFIG_INVALID,
  EXIT_MODEL_FAILED,
  EXIT_OK,
  type CheckKind,
  type CheckOptions,
  type CheckSummary,
  type ModelReport,
  type ProbeResult,
} from "./types";

/**
 * `--check`: validate, probe every model, report, and answer with the exit code. An invalid
 * config is reported without probing anything: its exit code already fails the run, and probes
 * would spend tokens on a config that is about to be fixed.
 */
export async function runCheck(config: RouterConfig, opts: CheckOptions): Promise<number> {
  const started = performance.now();
  const issues = await selectorIssues(config, opts);
  if (issues.length) return invalid(config.source, issues, opts);

  const kinds: CheckKind[] = ["basic", ...opts.kinds.filter((k) => k !== "basic")];
  const secrets = configSecrets(config);
  const limit = limiter(Math.max(1, opts.concurrency));
  const reports = await Promise.all(
    [...config.models.values()].map((m) => checkModel(m, kinds, opts.timeoutMs, secrets, limit)),
  );

  const findings = configFindings(config, opts.listen);
  const ok = reports.filter((r) => r.ok).length;
  const summary: CheckSummary = {
    models: reports.length,
    ok,
    failed: reports.length - ok,
    durationMs: Math.round(performance.now() - started),
  };
  if (opts.json)
    opts.out(
      renderJson({
        ok: summary.failed === 0,
        config: { valid: true, issues: [] },
        warnings: jsonIssues<Finding>(findings),
        results: reports,
        summary,
      }),
    );
  else opts.out(renderTable(reports, kinds, summary, opts.color, findings, config.source));
  return summary.failed === 0 ? EXIT_OK : EXIT_MODEL_FAILED;
}

/** Loads the file first, so an invalid config is reported in the same form (table or JSON) as a check. */
export async function runCheckFile(path: string, env: Env, opts: CheckOptions): Promise<number> {
  let config: RouterConfig;
  try {
    config = await loadConfigFile(path, env);
  } catch (err) {
    if (err instanceof ConfigError) return invalid(err.file, err.issues, opts);
    throw err;
  }
  return runCheck(config, opts);
}

async function selectorIssues(config: RouterConfig, opts: CheckOptions): Promise<ConfigIssue[]> {
  if (!opts.checkSelectors) return [];
  try {
    return await opts.checkSelectors(config);
  } catch (err) {
    return [
      {
        code: "SELECTOR",
        path: "router_settings.model_groups",
        message: `selectors could not be checked: ${(err as Error)?.message ?? err}`,
      },
    ];
  }
}

function invalid(file: string, issues: ConfigIssue[], opts: CheckOptions): number {
  if (opts.json) {
    const summary: CheckSummary = { models: 0, ok: 0, failed: 0, durationMs: 0 };
    opts.out(
      renderJson({
        ok: false,
        config: { valid: false, issues: jsonIssues(issues) },
        warnings: [],
        results: [],
        summary,
      }),
    );
  } else {
    opts.out(renderInvalidConfig(file, issues, opts.color));
  }
  return EXIT_CONFIG_INVALID;
}

type Limit = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * Deeper probes wait for the basic one: a model that cannot answer a plain request would fail
 * them for the same reason, and a hanging upstream would hold three slots instead of one.
 */
async function checkModel(
  model: ModelConfig,
  kinds: CheckKind[],
  timeoutMs: number,
  secrets: readonly string[],
  limit: Limit,
): Promise<ModelReport> {
  const basic = await limit(() => runProbe(model, "basic", timeoutMs, secrets));
  const rest = kinds.slice(1);
  const deeper: ProbeResult[] = basic.ok
    ? await Promise.all(rest.map((k) => limit(() => runProbe(model, k, timeoutMs, secrets))))
    : rest.map((k) => ({
        kind: k,
        ok: false,
        skipped: true,
        latencyMs: 0,
        error: "skipped: the basic probe failed",
      }));
  const probes = [basic, ...deeper];
  return {
    model: model.name,
    apiType: model.apiType,
    upstreamModel: model.model,
    host: hostOf(model.apiBase),
    ok: probes.every((p) => p.ok),
    probes,
  };
}

/** At most `n` tasks running at once, started in the order they asked. */
function limiter(n: number): Limit {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
