/**
 * config.yaml → RouterConfig: parse, interpolate, validate against the schema, normalise.
 * Every stage keeps going after a problem so the user sees all of them in one run.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { LineCounter, parseDocument, type YAMLError, type YAMLWarning } from "yaml";
import type { Env } from "./env";
import { normalise } from "./normalise";
import { Reporter } from "./reporter";
import { MIN_SECRET_LENGTH } from "../log";
import { locate, type FromEnv } from "./positions";
import { RawConfig } from "./schema";
import { ConfigError, type ConfigIssue, type RouterConfig } from "./types";
import { schemaProblems, unknownKeys } from "./validate";

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
  const lines = new LineCounter();
  // prettyErrors would append a multi-line source excerpt; we want one line per issue, with our own pos.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const yamlIssue = (e: YAMLError | YAMLWarning): ConfigIssue => ({
    code: e.name === "YAMLWarning" ? "YAML_WARNING" : "YAML_SYNTAX",
    path: "",
    pos: lines.linePos(e.pos[0]),
    message: `YAML ${e.name === "YAMLWarning" ? "warning" : "syntax error"}: ${e.message}`,
  });
  // A document with syntax errors is only partly built; validating it would add misleading noise.
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map(yamlIssue));

  const { data, locations, issues, fromEnv } = locate(doc, lines, env);
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
  r.warnings.push(...doc.warnings.map(yamlIssue));
  // Misspelt keys, by the pointer of the key they were probably meant to be.
  const misspelt = new Map<string, string>();
  for (const u of unknownKeys(RawConfig, data)) {
    r.warn(
      "UNKNOWN_KEY",
      u.pointer,
      `unknown key "${u.key}" (ignored)${u.suggestion ? `; did you mean "${u.suggestion}"?` : ""}`,
    );
    if (u.suggestion)
      misspelt.set(`${u.pointer.slice(0, u.pointer.lastIndexOf("/"))}/${u.suggestion}`, u.key);
  }
  for (const p of schemaProblems(RawConfig, data, (pointer) => r.raw(pointer))) {
    // Warnings are lost when loading fails, so a typo that causes an error is named in the error.
    const typo = p.missing && p.key ? misspelt.get(`${p.pointer}/${p.key}`) : undefined;
    r.error(
      p.missing ? "MISSING_KEY" : "SCHEMA",
      p.pointer,
      typo ? `${p.message}; "${typo}" looks like a misspelling of it` : p.message,
      p.missing,
    );
  }

  const source = file.startsWith("<") ? file : resolve(file);
  const config = normalise(r, source);
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

function comparePos(a: ConfigIssue, b: ConfigIssue): number {
  return (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0);
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "config file not found";
  if (code === "EISDIR") return "config path is a directory, not a file";
  if (code === "EACCES" || code === "EPERM") return "permission denied reading the config file";
  return `cannot read the config file: ${(err as Error).message}`;
}
