import { checkFlagValue, parseCheckKinds, parseCheckTimeout, type CheckKind } from "../check";
import { LOG_LEVELS, type LogLevel } from "../log";
import { parseProxyUrl } from "../upstream/proxy";

/** The command line, exactly the seed's flags with the seed's defaults. */
export const ARGS = {
  ip: {
    type: "string",
    alias: "i",
    default: "0.0.0.0",
    valueHint: "addr",
    description: "Address to listen on",
  },
  port: {
    type: "string",
    alias: "p",
    default: "8000",
    valueHint: "port",
    description: "Port to listen on (0 picks a free one)",
  },
  config: {
    type: "string",
    alias: "c",
    default: "config.yaml",
    valueHint: "path",
    description: "Config file",
  },
  token: {
    type: "string",
    alias: "t",
    valueHint: "token",
    description: "Token clients must present (default: $LLM_ROUTER_TOKEN; none = open)",
  },
  "log-level": {
    type: "string",
    alias: "l",
    default: "warn",
    valueHint: LOG_LEVELS.join("|"),
    description: "Log level",
  },
  "log-file": {
    type: "string",
    valueHint: "path",
    description: "Also write logs to this file (capped at 10 MB)",
  },
  proxy: {
    type: "string",
    valueHint: "url",
    description: "Proxy for upstream calls: socks5://, http:// or https://",
  },
  workers: {
    type: "string",
    valueHint: "n",
    description:
      "Processes sharing the port (default 1); each keeps its own health, key limits are shared",
  },
  check: {
    type: "boolean",
    description:
      "Probe every model, print a report, exit non-zero on failure (--check=stream,tools for deeper probes)",
  },
  json: { type: "boolean", description: "With --check: print the report as JSON" },
  "check-timeout": {
    type: "string",
    valueHint: "seconds",
    description: "With --check: limit per probe (default 30)",
  },
  help: { type: "boolean", alias: "h", description: "Print help" },
  version: { type: "boolean", alias: "V", description: "Print version" },
} as const;

/** What the router is, in one sentence: the first line of `--help`. */
export const ABOUT =
  "Route OpenAI Chat, Responses, Anthropic and Gemini API requests to model groups of any of them";

export interface Options {
  ip: string;
  port: number;
  config: string;
  token?: string;
  logLevel: LogLevel;
  logFile?: string;
  proxy?: string;
  workers: number;
  /** Probe kinds for --check; undefined when serving. */
  check?: CheckKind[];
  json: boolean;
  checkTimeoutMs: number;
}

/** A wrong command line: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Every spelling of the flags in `defs`: `--name`, `--no-name` and the alias. */
export function knownFlags(defs: Record<string, { type: string; alias?: string }>): Set<string> {
  return new Set(
    Object.entries(defs)
      .filter(([, def]) => def.type !== "positional")
      .flatMap(([name, def]) => [
        `--${name}`,
        `--no-${name}`,
        ...(def.alias ? [`-${def.alias}`] : []),
      ]),
  );
}

const KNOWN = knownFlags(ARGS);

/** Rejects flags citty would silently ignore, so a typo never runs with a default by accident. */
export function checkUnknownFlags(raw: readonly string[], known = KNOWN, help = "--help"): void {
  for (const arg of raw) {
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") continue;
    const name = arg.split("=")[0]!;
    if (!known.has(name)) throw new UsageError(`unknown option ${name} (see ${help})`);
  }
}

/** Whether -h or --help comes before any `--`: help wins over everything else on the line. */
export function wantsHelp(raw: readonly string[]): boolean {
  const end = raw.indexOf("--");
  return (end < 0 ? raw : raw.slice(0, end)).some((a) => a === "-h" || a === "--help");
}

/**
 * The router takes no positional arguments: `llm-router other.yaml` would otherwise serve
 * ./config.yaml, and `llm-router version` start a server. Says what was probably meant.
 */
export function rejectPositionals(positionals: readonly string[]): void {
  const [first] = positionals;
  if (first === undefined) return;
  const hint = /\.ya?ml$/i.test(first)
    ? `; for a config file, use -c ${first}`
    : ["help", "version"].includes(first)
      ? `; did you mean --${first}?`
      : "";
  throw new UsageError(`unexpected argument "${first}"${hint} (see --help)`);
}

export function toOptions(
  args: Record<string, unknown>,
  env: Record<string, string | undefined>,
  raw: readonly string[],
): Options {
  const port = String(args.port);
  if (!/^\d+$/.test(port) || Number(port) > 65535)
    throw new UsageError(`invalid --port "${port}": expected an integer from 0 to 65535`);
  const level = String(args["log-level"]);
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new UsageError(
      `invalid --log-level "${level}": expected one of ${LOG_LEVELS.join(", ")}`,
    );
  const ip = String(args.ip);
  if (ip === "" || /\s/.test(ip)) throw new UsageError(`invalid --ip "${ip}"`);
  const proxy = args.proxy as string | undefined;
  if (proxy !== undefined) {
    const spec = parseProxyUrl(proxy);
    if (spec instanceof Error) throw new UsageError(`invalid --proxy: ${spec.message}`);
  }
  for (const name of ["config", "log-file", "token"] as const) {
    if (args[name] === "") throw new UsageError(`--${name} needs a value`);
  }
  // citty reads `--check=stream,tools` as plain `true`; the kinds come from the raw arguments.
  let check: CheckKind[] | undefined;
  let checkTimeoutMs: number;
  try {
    const value = checkFlagValue(raw);
    check = value === undefined ? undefined : parseCheckKinds(value);
    checkTimeoutMs = parseCheckTimeout(args["check-timeout"] as string | undefined);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (args.json && !check) throw new UsageError("--json needs --check");
  const workers = String(args.workers ?? "1");
  if (!/^\d+$/.test(workers) || Number(workers) < 1 || Number(workers) > 64)
    throw new UsageError(`invalid --workers "${workers}": expected an integer from 1 to 64`);
  return {
    ip,
    port: Number(port),
    config: String(args.config),
    token: (args.token as string | undefined) ?? (env.LLM_ROUTER_TOKEN || undefined),
    logLevel: level as LogLevel,
    logFile: args["log-file"] as string | undefined,
    proxy,
    check,
    json: args.json === true,
    workers: Number(workers),
    checkTimeoutMs,
  };
}
