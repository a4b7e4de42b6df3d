import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { basePath, CLAUDE_BIN, targetOf, type Drive, type Invocation } from "./cli";
import { claudeCodeEnv } from "./recipes";

/**
 * The real Claude Code, headless (`-p`), with the recipe's environment, a config directory in the
 * scratch home, and no auto-update, telemetry, error reports or other non-essential traffic.
 */
export async function claudeCode(d: Drive): Promise<Invocation> {
  const configDir = join(d.scratch.home, ".claude");
  await mkdir(configDir, { recursive: true });
  const env = {
    PATH: basePath(),
    HOME: d.scratch.home,
    TMPDIR: d.scratch.root,
    CLAUDE_CONFIG_DIR: configDir,
    ...claudeCodeEnv(targetOf(d)),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    CLAUDE_CODE_MAX_RETRIES: "1",
  };
  // dontAsk turns any permission prompt into a refusal (nobody can answer one headless), and
  // Read is pre-approved so the one tool the task needs still runs.
  const args = [
    "-p",
    d.prompt,
    "--max-turns",
    "4",
    "--output-format",
    "text",
    "--allowedTools",
    "Read",
    "--permission-mode",
    "dontAsk",
    "--no-session-persistence",
  ];
  return { cmd: [CLAUDE_BIN, ...args], cwd: d.scratch.work, env };
}
