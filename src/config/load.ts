/**
 * config.yaml → RouterConfig: parse, interpolate, validate against the schema, normalise.
 * Every stage keeps going after a problem so the user sees all of them in one run.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Env } from "./env";
import { loadKeysFile } from "./keys-file";
import { normalise } from "./normalise";
import { Reporter } from "./reporter";
import { MIN_SECRET_LENGTH } from "../log";
import type { FromEnv } from "./positions";
import { RawConfig } from "./schema";
import { reportSchema } from "./schema-report";
import { ConfigError, type ConfigIssue, type RouterConfig } from "./types";
import { parseYaml } from "./yaml-doc";

export async function loadConfigFile(path: string, env: Env = process.env): Promise<RouterConfig> {
  return loadConfigText(await readConfigText(path), path, env);
}

/** The config file's text; a file that cannot be read is a ConfigError. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError(path, [{ code: "FILE", path: "", message: readFailure(err) }]);
  }
}

export function loadConfigText(text: string, file: string, env: Env = process.env): RouterConfig {
  const parsed = parseYaml(text, env);
  if (!parsed.ok) throw new ConfigError(file, parsed.errors);
  const { data, locations, issues, fromEnv } = parsed.located;
  if (data === null || data === undefined) {
    throw new ConfigError(file, [
      {
        code: "EMPTY",
        path: "",
        message: "the config is empty; it needs model_list and router_settings",
      },
    ]);
  }

  const r = new Reporter(data, locations);
  r.issues.push(...issues);
  r.warnings.push(...parsed.warnings);
  reportSchema(r, RawConfig);

  const source = file.startsWith("<") ? file : resolve(file);
  // Paths in the config are relative to its directory; text without a file has the working one.
  const dir = file.startsWith("<") ? process.cwd() : dirname(source);
  const keysFile = loadKeysFile(r, dir, env);
  const config = normalise(r, source, dir, keysFile);
  if (keysFile?.r) {
    r.issues.push(...keysFile.r.issues);
    r.warnings.push(...keysFile.r.warnings);
    fromEnv.push(...keysFile.fromEnv);
  }
  // What the messages above did not know to hide: a value from the environment quoted elsewhere.
  for (const issue of [...r.issues, ...r.warnings])
    issue.message = hideFromEnv(issue.message, fromEnv);
  if (r.issues.length > 0) throw new ConfigError(file, byPosition(r.issues));
  config.warnings.sort(comparePos);
  return config;
}

/**
 * Every value from the environment that a message still quotes, as written or JSON-escaped, is
 * replaced by the `${VAR}` text that named it. Values shorter than MIN_SECRET_LENGTH are left: they
 * occur in ordinary words, and replacing them there would garble the message for no protection.
 */
function hideFromEnv(message: string, fromEnv: FromEnv[]): string {
  const longestFirst = fromEnv
    .filter((f) => f.value.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.value.length - a.value.length);
  for (const { value, raw } of longestFirst) {
    message = message.replaceAll(value, raw);
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) message = message.replaceAll(escaped, JSON.stringify(raw).slice(1, -1));
  }
  return message;
}

function byPosition(issues: ConfigIssue[]): ConfigIssue[] {
  // Stages find problems in different orders; reading them top to bottom matches the file.
  return [...issues].sort(comparePos);
}

/** The config file's issues first, then the keys file's; each top to bottom. */
function comparePos(a: ConfigIssue, b: ConfigIssue): number {
  if (a.file !== b.file) return a.file === undefined ? -1 : b.file === undefined ? 1 : 0;
  return (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0);
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "config file not found";
  if (code === "EISDIR") return "config path is a directory, not a file";
  if (code === "EACCES" || code === "EPERM") return "permission denied reading the config file";
  return `cannot read the config file: ${(err as Error).message}`;
}
