import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import type { Target } from "./recipes";

/**
 * Installs and runs the real agent CLIs, pinned in tests/real-clients (a package of its own so the
 * quick-start install stays small). Each has a driver of its own (claude-code.ts, gemini-cli.ts,
 * codex.ts, opencode.ts, qwen-code.ts) that runs it in a scratch home with only the environment
 * it needs: the user's settings from recipes.ts, and no inherited keys, auto-update or telemetry.
 */

const PACKAGE_DIR = join(import.meta.dir, "..", "..", "real-clients");
const MODULES = join(PACKAGE_DIR, "node_modules");
export const CLAUDE_BIN = join(
  PACKAGE_DIR,
  "node_modules",
  "@anthropic-ai",
  "claude-code",
  "bin",
  "claude.exe",
);
export const GEMINI_JS = join(
  PACKAGE_DIR,
  "node_modules",
  "@google",
  "gemini-cli",
  "bundle",
  "gemini.js",
);
export const CODEX_JS = join(MODULES, "@openai", "codex", "bin", "codex.js");
// codex.js starts the native binary of an optional dependency named after the platform.
const CODEX_NATIVE = join(MODULES, "@openai", `codex-${process.platform}-${process.arch}`);
export const OPENCODE_BIN = join(MODULES, "opencode-ai", "bin", "opencode.exe");
export const QWEN_JS = join(MODULES, "@qwen-code", "qwen-code", "cli-entry.js");
export const INSTALL_TIMEOUT_MS = 5 * 60_000;
export const RUN_TIMEOUT_MS = 90_000;

/** A command line with exactly the environment it gets: nothing is inherited. */
export interface Invocation {
  cmd: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface Run {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  /** processes of the run's group still alive once its output closed (they are then killed) */
  leftover: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command in a process group of its own, so an overrun can be ended together with
 * whatever it spawned (the CLIs start helper processes) without touching any other process.
 */
export function runBounded(inv: Invocation, timeoutMs: number): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const [bin, ...args] = inv.cmd;
    const child = spawn(bin!, args, {
      cwd: inv.cwd,
      env: inv.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    let hardKill: ReturnType<typeof setTimeout> | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      hardKill = setTimeout(() => killGroup("SIGKILL"), 3000);
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // `close` waits for the pipes too, which a lingering grandchild would hold open; the timer
    // above still covers that case by ending the whole group.
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(hardKill);
      // Signal 0 only asks whether the group still has a member; while one lives the group id
      // cannot have been handed to anyone else, so ending it touches only what this run started.
      const leftover = groupAlive(child.pid!);
      if (leftover) killGroup("SIGKILL");
      resolve({ code, signal, timedOut, leftover, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// The package ships a 500-byte shell stub here that its postinstall replaces with the native
// binary of this platform; a real binary is hundreds of megabytes.
const isNative = (bin: string) => existsSync(bin) && statSync(bin).size > 1_000_000;
const claudeIsNative = () => isNative(CLAUDE_BIN);
// opencode-ai does the same: a stub its postinstall replaces with its platform package's binary.
const opencodeIsNative = () => isNative(OPENCODE_BIN);
const unpacked = () =>
  [CLAUDE_BIN, GEMINI_JS, CODEX_JS, CODEX_NATIVE, OPENCODE_BIN, QWEN_JS].every((p) =>
    existsSync(p),
  );
const installed = () => unpacked() && claudeIsNative() && opencodeIsNative();

/**
 * `npm install` of the pinned CLIs (exactly the lockfile's versions), only when they are missing
 * (CI installs them up front). Not `npm ci`: the lock cannot list opencode's packages for other
 * platforms when the registry in reach lacks them, and `npm ci` refuses such a lock.
 */
export async function ensureInstalled(): Promise<{ installed: boolean; ms: number }> {
  if (installed()) return { installed: false, ms: 0 };
  const started = Date.now();
  // npm needs its own configuration (registry, cache, proxy), so it keeps the inherited env.
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const fail = (what: string, run: Run) =>
    new Error(
      `${what} failed (code ${run.code}, timed out: ${run.timedOut}):\n${run.stderr.slice(-3000)}`,
    );
  if (!unpacked()) {
    const npm = Bun.which("npm");
    if (!npm) throw new Error("npm is needed to install tests/real-clients");
    const run = await runBounded(
      {
        cmd: [npm, "install", "--prefix", PACKAGE_DIR, "--no-audit", "--no-fund"],
        cwd: PACKAGE_DIR,
        env,
      },
      INSTALL_TIMEOUT_MS,
    );
    if (run.code !== 0) throw fail("npm install --prefix tests/real-clients", run);
  }
  // npm is moving to allow-listed install scripts; when Claude Code's postinstall was skipped,
  // its own documented remedy is to run that script by hand.
  if (!claudeIsNative()) {
    const run = await runBounded(
      {
        cmd: [nodeBin(), join(CLAUDE_BIN, "..", "..", "install.cjs")],
        cwd: join(CLAUDE_BIN, "..", ".."),
        env,
      },
      INSTALL_TIMEOUT_MS,
    );
    if (run.code !== 0) throw fail("Claude Code's install.cjs", run);
  }
  if (!opencodeIsNative()) {
    const dir = join(OPENCODE_BIN, "..", "..");
    const run = await runBounded(
      { cmd: [nodeBin(), join(dir, "postinstall.mjs")], cwd: dir, env },
      INSTALL_TIMEOUT_MS,
    );
    if (run.code !== 0) throw fail("opencode's postinstall.mjs", run);
  }
  if (!installed())
    throw new Error(
      `tests/real-clients is incomplete after installing: a CLI under ${MODULES} is missing or a stub`,
    );
  return { installed: true, ms: Date.now() - started };
}

/** The scratch layout of one CLI run: a home of its own and a working directory holding the file. */
export interface Scratch {
  root: string;
  home: string;
  work: string;
  cleanup(): Promise<void>;
}

export async function scratch(files: Record<string, string>): Promise<Scratch> {
  // realpath: on macOS the temp dir is a symlink, and the CLIs compare paths after resolving.
  const root = await realpath(await mkdtemp(join(tmpdir(), "llm-router-real-client-")));
  const home = join(root, "home");
  const work = join(root, "work");
  await mkdir(home, { recursive: true });
  await mkdir(work, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(work, name), text);
  return { root, home, work, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export function nodeBin(): string {
  const node = Bun.which("node");
  if (!node) throw new Error("node is needed to run Gemini CLI and Codex");
  return node;
}

/** Enough PATH for the CLIs' own helpers and `#!/usr/bin/env node`, nothing from the caller. */
export const basePath = () =>
  [dirname(nodeBin()), "/usr/local/bin", "/usr/bin", "/bin"].join(delimiter);

/**
 * Points every proxy variable at a closed loopback port, with the loopback itself exempt: a
 * catalog fetch, update check or plugin download that no switch turned off then fails on this
 * machine instead of leaving it, while the router on 127.0.0.1 is reached directly. Both
 * spellings, because curl (and so git) reads only the lower-case http_proxy.
 */
const DEAD_PROXY = "http://127.0.0.1:9";
const LOOPBACK = "127.0.0.1,localhost";
export const LOOPBACK_ONLY = {
  http_proxy: DEAD_PROXY,
  HTTP_PROXY: DEAD_PROXY,
  https_proxy: DEAD_PROXY,
  HTTPS_PROXY: DEAD_PROXY,
  all_proxy: DEAD_PROXY,
  ALL_PROXY: DEAD_PROXY,
  no_proxy: LOOPBACK,
  NO_PROXY: LOOPBACK,
};

export interface Drive {
  base: string;
  token: string;
  group: string;
  /** the group of the CLI's small model, where it has one; `group` when unset */
  smallGroup?: string;
  prompt: string;
  scratch: Scratch;
}

/** The run's router, key and groups, as the recipes take them. */
export const targetOf = (d: Drive): Target => ({
  base: d.base,
  key: d.token,
  group: d.group,
  ...(d.smallGroup ? { smallGroup: d.smallGroup } : {}),
});
