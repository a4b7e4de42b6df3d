import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  basePath,
  LOOPBACK_ONLY,
  nodeBin,
  QWEN_JS,
  targetOf,
  type Drive,
  type Invocation,
} from "./cli";
import { keyEnv, qwenCodeSettings } from "./recipes";

/**
 * The real Qwen Code, headless (a prompt on the command line), with the recipe's settings.json
 * (the router as an OpenAI-compatible provider) as the user's settings in a scratch home, and
 * no usage statistics, telemetry or update check.
 */
export async function qwenCode(d: Drive): Promise<Invocation> {
  const dotQwen = join(d.scratch.home, ".qwen");
  await mkdir(dotQwen, { recursive: true });
  const settings = {
    ...qwenCodeSettings(targetOf(d)),
    // on by default: they are sent to Alibaba's collector
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    general: { enableAutoUpdate: false },
  };
  await writeFile(join(dotQwen, "settings.json"), JSON.stringify(settings, null, 2));
  const env = {
    ...LOOPBACK_ONLY,
    PATH: basePath(),
    HOME: d.scratch.home,
    TMPDIR: d.scratch.root,
    ...keyEnv(targetOf(d)),
    // A machine-wide /etc/qwen-code/settings.json must not change what the test sends.
    QWEN_CODE_SYSTEM_SETTINGS_PATH: join(d.scratch.root, "no-system-settings.json"),
    QWEN_CODE_SYSTEM_DEFAULTS_PATH: join(d.scratch.root, "no-system-defaults.json"),
  };
  const args = ["--output-format", "text", "--chat-recording=false", d.prompt];
  return { cmd: [nodeBin(), QWEN_JS, ...args], cwd: d.scratch.work, env };
}
