import { checkConfigSelectors, loadJqModule } from "../balance/selectors";
import { ConfigError, loadConfigFile } from "../config";
import type { RouterConfig } from "../config/types";

/** The config as every command needs it: loaded, validated, and every selector compiled. */
export async function loadCheckedConfig(path: string, env: Record<string, string | undefined> = process.env): Promise<RouterConfig> {
  // Compiling the jq engine is most of what selectors add to startup: when the file mentions them,
  // it starts now and runs while the config is parsed and validated.
  if (await Bun.file(path).text().then((t) => t.includes("selector"), () => false)) void loadJqModule().catch(() => {});
  const config = await loadConfigFile(path, env);
  const issues = await checkConfigSelectors(config);
  if (issues.length) throw new ConfigError(config.source, issues);
  return config;
}
