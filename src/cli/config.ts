import { checkConfigSelectors } from "../balance/selectors";
import { ConfigError, loadConfigFile } from "../config";
import type { RouterConfig } from "../config/types";

/** The config as every command needs it: loaded, validated, and every selector compiled. */
export async function loadCheckedConfig(path: string, env: Record<string, string | undefined> = process.env): Promise<RouterConfig> {
  const config = await loadConfigFile(path, env);
  const issues = await checkConfigSelectors(config);
  if (issues.length) throw new ConfigError(config.source, issues);
  return config;
}
