/**
 * Every client key, from `keys:` and then the keys_file, normalised one by one (keys-entry.ts)
 * and checked together: names and secrets must be unique across both, and each `groups` entry
 * should match some configured group.
 */
import { keyEntry } from "./keys-entry";
import type { LoadedKeysFile } from "./keys-file";
import type { Reporter } from "./reporter";
import { list, mapping } from "./shape";
import type { KeyConfig } from "./types";
import { closest } from "./validate";

export interface Keys {
  keys: KeyConfig[];
  /** The plain secrets among them, for log masking. */
  plain: string[];
}

/** Where an entry sits: the reporter of its file and its pointer there. */
interface Site {
  r: Reporter;
  at: string;
}

/** `source`: the config file's path, for messages about a key in one file clashing with the other. */
export function keysOf(
  r: Reporter,
  source: string,
  file: LoadedKeysFile | undefined,
  groups: string[],
): Keys {
  const sites: [Site, unknown][] = list(mapping(r.data).keys).map((e, i) => [
    { r, at: `/keys/${i}` },
    e,
  ]);
  if (file?.r) {
    const fr = file.r;
    file.entries.forEach((e, i) => sites.push([{ r: fr, at: `${file.base}/${i}` }, e]));
  }
  const out: Keys = { keys: [], plain: [] };
  const byName = new Map<string, Site>();
  const byDigest = new Map<string, string>();
  for (const [site, raw] of sites) {
    const { key, plain } = keyEntry(site.r, mapping(raw), site.at);
    if (plain) out.plain.push(plain);
    if (!key) continue;
    const first = byName.get(key.name);
    if (first) {
      site.r.error(
        "DUPLICATE_NAME",
        `${site.at}/name`,
        `duplicate key name "${key.name}" (first defined at ${where(first, site.r, source)})`,
      );
      continue;
    }
    byName.set(key.name, site);
    const same = byDigest.get(key.digest);
    if (same !== undefined) {
      // Either key's requests would be counted against whichever the lookup found.
      site.r.error(
        "DUPLICATE_NAME",
        `${site.at}/secret`,
        `keys "${same}" and "${key.name}" have the same secret; each key needs its own`,
      );
      continue;
    }
    byDigest.set(key.digest, key.name);
    warnUnknownGroups(site, key, groups);
    out.keys.push(key);
  }
  return out;
}

function warnUnknownGroups({ r, at }: Site, key: KeyConfig, groups: string[]): void {
  key.groups?.forEach((pattern, i) => {
    const matches = globMatcher(pattern);
    if (groups.some(matches)) return;
    const guess = closest(pattern, groups);
    r.warn(
      "UNKNOWN_GROUP",
      `${at}/groups/${i}`,
      `key "${key.name}": "${pattern}" matches no group in model_groups${guess ? `; did you mean "${guess}"?` : ""}`,
    );
  });
}

/** `*` any run of characters, `?` any one; everything else literal, the whole name matched. */
function globMatcher(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) return (name) => name === pattern;
  const body = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  const re = new RegExp(`^${body}$`, "s");
  return (name) => re.test(name);
}

/** `line L, col C` in the same file, else `file:L:C`. */
function where(site: Site, from: Reporter, source: string): string {
  const pos = site.r.pos(`${site.at}/name`);
  if (!pos) return site.r.path(`${site.at}/name`);
  if (site.r === from) return `line ${pos.line}, col ${pos.col}`;
  return `${site.r.file ?? source}:${pos.line}:${pos.col}`;
}
