import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { basePath, LOOPBACK_ONLY, OPENCODE_BIN, type Drive, type Invocation } from "./cli";

/**
 * The real opencode, headless (`opencode run`), with its built-in `openai` provider (the AI SDK's
 * Responses model) pointed at the router: a config of its own, XDG directories in the scratch
 * home, and no fetch of the models.dev catalog, update check or plugin install.
 */

export interface OpencodeOptions {
  /**
   * Where the provider's key is given: OPENAI_API_KEY in the environment (the default), or
   * `apiKey` in the provider's options in the config, as a shared gateway key usually is.
   */
  keyIn?: "env" | "config";
}

export async function opencode(d: Drive, opts: OpencodeOptions = {}): Promise<Invocation> {
  const keyIn = opts.keyIn ?? "env";
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

  const model = `openai/${d.group}`;
  const config = {
    autoupdate: false,
    share: "disabled",
    enabled_providers: ["openai"],
    model,
    // titles are asked of the small model; it must be a group too
    small_model: model,
    provider: {
      openai: {
        options: { baseURL: `${d.base}/v1`, ...(keyIn === "config" ? { apiKey: d.token } : {}) },
        // the catalog lookup is off, so the group is declared as a model of the provider
        models: { [d.group]: { name: d.group } },
      },
    },
  };
  const configPath = join(d.scratch.root, "opencode.json");
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const env = {
    ...LOOPBACK_ONLY,
    ...xdg,
    PATH: basePath(),
    HOME: d.scratch.home,
    TMPDIR: d.scratch.root,
    ...(keyIn === "env" ? { OPENAI_API_KEY: d.token } : {}),
    OPENCODE_CONFIG: configPath,
    // models.dev is fetched at startup otherwise; the bundled snapshot plus the config suffice
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    // .opencode directories above the scratch (up to /) must not add config or plugins
    OPENCODE_DISABLE_PROJECT_CONFIG: "1",
  };
  // `run` auto-rejects whatever would need a permission prompt; reading inside the working
  // directory is allowed by default, which is all the task needs.
  return { cmd: [OPENCODE_BIN, "run", "--model", model, d.prompt], cwd: d.scratch.work, env };
}
