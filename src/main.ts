#!/usr/bin/env bun
/** Binary entry: the only place that decides exit codes and calls process.exit. */
import { parseArgs, renderUsage } from "citty";
import { ConfigError } from "./config";
import {
  ARGS,
  checkUnknownFlags,
  command,
  rejectPositionals,
  toOptions,
  UsageError,
  wantsHelp,
} from "./cli/args";
import { startRouter } from "./cli/serve";
import { superviseWorkers } from "./cli/workers";
import { setGlobalProxy } from "./upstream/fetch";
import { proxyEnvProblems } from "./upstream/proxy";
import { DEFAULT_CONCURRENCY, runCheckFile, wantsColor } from "./check";
import { checkConfigSelectors } from "./balance/selectors";
import { EXPLAIN_DESCRIPTION, explainCommand, parseExplainArgs, runExplain } from "./cli/explain";
import { KEYS_DESCRIPTION, keysHelp, runKeys } from "./cli/keys";
import { VERSION } from "./version";

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

async function main(raw: string[]): Promise<void> {
  try {
    if (raw[0] === "explain") {
      const rest = raw.slice(1);
      if (wantsHelp(rest))
        return void process.stdout.write(plain(await renderUsage(explainCommand)) + "\n");
      process.exitCode = await runExplain(parseExplainArgs(rest), (s) => process.stdout.write(s));
      return;
    }
    if (raw[0] === "keys") {
      const rest = raw.slice(1);
      const help = keysHelp(rest);
      if (help) return void process.stdout.write(plain(await help) + "\n");
      process.exitCode = await runKeys(rest, {
        out: (s) => process.stdout.write(s),
        readStdin: () => Bun.stdin.text(),
        prompt: process.stdin.isTTY ? (s) => process.stderr.write(s) : undefined,
      });
      return;
    }
    checkUnknownFlags(raw);
    const args = parseArgs(raw, ARGS);
    if (args.help)
      return void process.stdout.write(
        `${plain(await renderUsage(command)).trimEnd()}\n\n${COMMANDS}\n`,
      );
    if (args.version) return void process.stdout.write(`llm-router ${VERSION}\n`);
    rejectPositionals(args._);
    const opts = toOptions(args, process.env, raw);
    setGlobalProxy(opts.proxy);
    for (const problem of proxyEnvProblems(process.env))
      process.stderr.write(`llm-router: warning: ${problem}\n`);
    if (opts.check) {
      // exitCode, not exit(): piped report output must be flushed before the process ends.
      process.exitCode = await runCheckFile(opts.config, process.env, {
        kinds: opts.check,
        json: opts.json,
        timeoutMs: opts.checkTimeoutMs,
        concurrency: DEFAULT_CONCURRENCY,
        listen: { ip: opts.ip, token: opts.token },
        color: !opts.json && wantsColor(process.stdout, process.env),
        out: (s) => process.stdout.write(s),
        checkSelectors: checkConfigSelectors,
      });
      return;
    }
    if (opts.workers > 1) {
      process.exitCode = await superviseWorkers(opts.workers, raw, opts.port, opts.token);
      return;
    }
    const router = await startRouter(opts);
    const shutdown = () => router.shutdown().finally(() => process.exit(0));
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
    process.on("SIGHUP", () => void router.reload());
    // A worker whose supervisor died (even by SIGKILL) must not live on holding the port.
    if (process.env.LLM_ROUTER_WORKER === "1") {
      const parent = process.ppid;
      setInterval(() => process.ppid !== parent && shutdown(), 1000).unref();
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`llm-router: ${err.message}\n`);
      process.exit(EXIT_USAGE);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`llm-router: invalid config\n${err.message}\n`);
      process.exit(EXIT_USAGE);
    }
    process.stderr.write(`llm-router: ${(err as Error).message}\n`);
    process.exit(EXIT_FAILURE);
  }
}

/** The commands besides serving. citty lists subcommands only by making its usage line demand one. */
const COMMANDS = `COMMANDS

  explain  ${EXPLAIN_DESCRIPTION}: llm-router explain <group> <body.json> [OPTIONS]
  keys     ${KEYS_DESCRIPTION}: llm-router keys new --name <name> | keys hash [<secret>]

Use llm-router explain --help or llm-router keys --help for their options.`;

/** citty colours its usage text unconditionally; keep colours for terminals that want them. */
function plain(text: string): string {
  const colour = process.stdout.isTTY && !process.env.NO_COLOR;
  return colour ? text : text.replace(/\x1b\[[0-9;]*m/g, "");
}

await main(process.argv.slice(2));
