import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  basePath,
  LOOPBACK_ONLY,
  OPENCODE_BIN,
  targetOf,
  type Drive,
  type Invocation,
} from "./cli";
import { keyEnv, opencodeConfig, opencodeProvider, type OpencodeKind } from "./recipes";

/**
 * The real opencode, headless (`opencode run`), with the recipe's opencode.json for one of its
 * three kinds of provider (Responses, OpenAI-compatible Chat, Anthropic) as the user's global
 * config: XDG directories in the scratch home, and no fetch of the models.dev catalog, update
 * check or plugin install.
 */

export function opencode(kind: OpencodeKind = "responses"): (d: Drive) => Promise<Invocation> {
  return async (d) => {
    const xdg = {
      XDG_CONFIG_HOME: join(d.scratch.home, ".config"),
      XDG_DATA_HOME: join(d.scratch.home, ".local", "share"),
      XDG_STATE_HOME: join(d.scratch.home, ".local", "state"),
      XDG_CACHE_HOME: join(d.scratch.home, ".cache"),
    };
    // At startup opencode installs @opencode-ai/plugin from the npm registry into its global
    // config directory, in the background, unless that directory has node_modules and a lock
    // naming the package already (its own "nothing to do" check).
    const globalConfig = join(xdg.XDG_CONFIG_HOME, "opencode");
    await mkdir(join(globalConfig, "node_modules"), { recursive: true });
    const lock = { packages: { "": { dependencies: { "@opencode-ai/plugin": "*" } } } };
    await writeFile(join(globalConfig, "package-lock.json"), JSON.stringify(lock));

    const recipe = opencodeConfig(targetOf(d), kind);
    const config = {
      ...recipe,
      autoupdate: false,
      share: "disabled",
      // Only the router's provider, so no other provider's key is looked for.
      enabled_providers: [opencodeProvider(kind)],
    };
    await writeFile(join(globalConfig, "opencode.json"), JSON.stringify(config, null, 2));
    const env = {
      ...LOOPBACK_ONLY,
      ...xdg,
      PATH: basePath(),
      HOME: d.scratch.home,
      TMPDIR: d.scratch.root,
      ...keyEnv(targetOf(d)),
      // models.dev is fetched at startup otherwise; the bundled snapshot plus the config suffice
      OPENCODE_DISABLE_MODELS_FETCH: "1",
      OPENCODE_DISABLE_AUTOUPDATE: "1",
      // .opencode directories above the scratch (up to /) must not add config or plugins
      OPENCODE_DISABLE_PROJECT_CONFIG: "1",
    };
    // `run` auto-rejects whatever would need a permission prompt; reading inside the working
    // directory is allowed by default, which is all the task needs.
    // No --model: the config's `model` is the one the user gets.
    return { cmd: [OPENCODE_BIN, "run", d.prompt], cwd: d.scratch.work, env };
  };
}
