import { checkConfigSelectors, loadJqModule } from "../balance/selectors";
import { ConfigError, loadConfigText, readConfigText } from "../config";
import type { RouterConfig } from "../config/types";

/** The config as every command needs it: loaded, validated, and every selector compiled. */
export async function loadCheckedConfig(
  path: string,
  env: Record<string, string | undefined> = process.env,
): Promise<RouterConfig> {
  const text = await readConfigText(path);
  // Compiling the jq engine is most of what selectors add to startup: when the file mentions them,
  // it starts now and runs while the config is parsed and validated.
  if (text.includes("selector")) void loadJqModule().catch(() => {});
  const config = loadConfigText(text, path, env);
  const issues = await checkConfigSelectors(config);
  if (issues.length) throw new ConfigError(config.source, issues);
  return config;
}
