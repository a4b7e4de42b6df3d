/**
 * `keys_file:` — a separate YAML file of keys, so that keys can be handed out (and the file
 * reloaded) without touching the rest of the config. It is read with the config, interpolated
 * and validated the same way; its findings name the keys file and its own line:col.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Env } from "./env";
import { KeysFile } from "./keys-schema";
import type { FromEnv } from "./positions";
import { Reporter } from "./reporter";
import { reportSchema } from "./schema-report";
import { isMapping, list } from "./shape";
import { parseYaml } from "./yaml-doc";

export interface LoadedKeysFile {
  /** Absolute path. */
  path: string;
  /** Reports into the keys file (its issues carry its path); undefined when it could not be read or parsed. */
  r?: Reporter;
  entries: unknown[];
  /** JSON pointer of the list within the file: "" for a bare list, "/keys" under `keys:`. */
  base: string;
  fromEnv: FromEnv[];
}

/**
 * The keys file named by `keys_file` (relative to `dir`, the config file's directory), or
 * undefined when the config names none. A file that cannot be read is reported at `keys_file`
 * in the config; its syntax errors are added, naming it, to the config's issues.
 */
export function loadKeysFile(r: Reporter, dir: string, env: Env): LoadedKeysFile | undefined {
  const root = isMapping(r.data) ? r.data : {};
  if (typeof root.keys_file !== "string" || root.keys_file === "") return undefined;
  const path = resolve(dir, root.keys_file);
  const none = { path, entries: [], base: "", fromEnv: [] };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    r.error("FILE", "/keys_file", `cannot read the keys file ${path}: ${readFailure(err)}`);
    return none;
  }
  const parsed = parseYaml(text, env);
  if (!parsed.ok) {
    // The parser quotes the token it stopped at, which in a file of keys may well be a secret.
    const unquoted = (message: string) => message.replace(/: ".*"$/s, "");
    r.issues.push(
      ...parsed.errors.map((e) => ({ ...e, message: unquoted(e.message), file: path })),
    );
    return none;
  }
  const { data, locations, issues, fromEnv } = parsed.located;
  const kr = new Reporter(data, locations, path);
  kr.issues.push(...issues.map((e) => ({ ...e, file: path })));
  kr.warnings.push(...parsed.warnings.map((w) => ({ ...w, file: path })));
  // An empty file is a file with no keys (all of them removed, or not handed out yet).
  if (data === null || data === undefined) return { ...none, r: kr, fromEnv };
  const bare = Array.isArray(data);
  if (!bare && !isMapping(data)) {
    // Said without the value, which may well be a secret on its own.
    const message = "a keys file holds a list of keys, or a mapping whose keys: holds that list";
    kr.error("SCHEMA", "", message);
    return { ...none, r: kr, fromEnv };
  }
  reportSchema(kr, KeysFile);
  const entries = bare ? data : list(data.keys);
  return { path, r: kr, entries, base: bare ? "" : "/keys", fromEnv };
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return (err as Error).message;
}
