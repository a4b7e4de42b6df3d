import { loadConfigFile } from "../config";
import { createRuntime } from "../core/runtime";
import { createLogger } from "../log";
import { serve, type RunningServer } from "../server/serve";
import { VERSION } from "../version";
import type { Options } from "./args";

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/** Loads the config and starts serving; returns once listening. Config errors propagate as ConfigError. */
export async function startRouter(opts: Options, env: Record<string, string | undefined> = process.env): Promise<RunningServer> {
  const log = createLogger(opts.logLevel);
  const config = await loadConfigFile(opts.config, env);
  for (const w of config.warnings) log.warn(`${config.source}${w.pos ? `:${w.pos.line}:${w.pos.col}` : ""}: ${w.path}: ${w.message}`);
  if (!opts.token && !LOOPBACK.test(opts.ip)) {
    log.warn(`no token set (-t or LLM_ROUTER_TOKEN) and listening on ${opts.ip}: anyone who can reach this port can use your API keys`);
  }
  const runtime = createRuntime(config);
  const server = serve({ hostname: opts.ip, port: opts.port, maxBodyBytes: config.server.maxBodyBytes }, { runtime: () => runtime, token: opts.token, log });
  const groups = [...config.groups.keys()];
  process.stdout.write(`llm-router ${VERSION} listening on ${server.url.origin} (${groups.length} groups: ${groups.join(", ")}; ${config.models.size} models)\n`);
  return server;
}
