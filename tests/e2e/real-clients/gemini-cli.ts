import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { basePath, GEMINI_JS, nodeBin, targetOf, type Drive, type Invocation } from "./cli";
import { geminiCliEnv, geminiCliSettings } from "./recipes";

/**
 * The real Gemini CLI, headless (`-p`), with the recipe's environment and settings.json in the
 * scratch home, the workspace trusted, and no update check, usage statistics or telemetry.
 */
export async function geminiCli(d: Drive): Promise<Invocation> {
  const dotGemini = join(d.scratch.home, ".gemini");
  await mkdir(dotGemini, { recursive: true });
  const settings = {
    ...geminiCliSettings(),
    // The update check would reach the npm registry, the only host this machine can reach.
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
  };
  await writeFile(join(dotGemini, "settings.json"), JSON.stringify(settings, null, 2));
  const env = {
    PATH: basePath(),
    HOME: d.scratch.home,
    TMPDIR: d.scratch.root,
    ...geminiCliEnv(targetOf(d)),
    GEMINI_CLI_TRUST_WORKSPACE: "true",
    GEMINI_CLI_NO_RELAUNCH: "true",
    // A machine-wide /etc/gemini-cli/settings.json must not change what the test sends.
    GEMINI_CLI_SYSTEM_SETTINGS_PATH: join(d.scratch.root, "no-system-settings.json"),
    GEMINI_CLI_SYSTEM_DEFAULTS_PATH: join(d.scratch.root, "no-system-defaults.json"),
    GEMINI_TELEMETRY_ENABLED: "false",
  };
  const args = ["-p", d.prompt, "--output-format", "text"];
  return { cmd: [nodeBin(), GEMINI_JS, ...args], cwd: d.scratch.work, env };
}
