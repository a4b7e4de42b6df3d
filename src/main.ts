#!/usr/bin/env bun
/** Binary entry: the only place that decides exit codes and calls process.exit. */
import { parseArgs } from "citty";
import { ConfigError } from "./config";
import {
  ABOUT,
  ARGS,
  checkUnknownFlags,
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
import { EXPLAIN_ARGS, EXPLAIN_DESCRIPTION, parseExplainArgs, runExplain } from "./cli/explain";
import { renderHelp } from "./cli/help";
import { KEYS_DESCRIPTION, keysHelp, runKeys } from "./cli/keys";
import { VERSION } from "./version";

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

async function main(raw: string[]): Promise<void> {
  try {
    if (raw[0] === "explain") {
      const rest = raw.slice(1);
      if (wantsHelp(rest)) return void process.stdout.write(explainHelp());
      process.exitCode = await runExplain(parseExplainArgs(rest), (s) => process.stdout.write(s));
      return;
    }
    if (raw[0] === "keys") {
      const rest = raw.slice(1);
      const help = keysHelp(rest);
      if (help) return void process.stdout.write(help);
      process.exitCode = await runKeys(rest, {
        out: (s) => process.stdout.write(s),
        readStdin: () => Bun.stdin.text(),
        prompt: process.stdin.isTTY ? (s) => process.stderr.write(s) : undefined,
      });
      return;
    }
    checkUnknownFlags(raw);
    const args = parseArgs(raw, ARGS);
    if (args.help) return void process.stdout.write(mainHelp());
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

function mainHelp(): string {
  return renderHelp({
    about: `${ABOUT} (llm-router ${VERSION})`,
    name: "llm-router",
    usage: ["[OPTIONS]", "<COMMAND> [ARGS]"],
    args: ARGS,
    commands: [
      ["explain", EXPLAIN_DESCRIPTION],
      ["keys", KEYS_DESCRIPTION],
    ],
    footer: "Run `llm-router <COMMAND> --help` for a command's own arguments and options.",
  });
}

function explainHelp(): string {
  return renderHelp({
    about: EXPLAIN_DESCRIPTION,
    name: "llm-router explain",
    usage: ["[OPTIONS] <GROUP> <BODY>"],
    args: EXPLAIN_ARGS,
  });
}

await main(process.argv.slice(2));
