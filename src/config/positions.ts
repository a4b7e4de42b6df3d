/**
 * Turns a parsed YAML document into plain data while remembering where each value came from.
 *
 * We walk the node tree ourselves instead of calling `doc.toJS()` so that environment interpolation
 * can report the path and line of the scalar it failed on, and so that schema errors (which arrive
 * as JSON pointers) can be mapped back to a line:col.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";
import { interpolate, type Env } from "./env";
import type { ConfigIssue, SourcePos } from "./types";

export interface Location {
  /** Where the value starts; absent for empty values, which have no text to point at. */
  pos?: SourcePos;
  /** Where the mapping key naming this value starts, when the value sits in a mapping. */
  keyPos?: SourcePos;
  /** The value's text as written (`${VAR}`), when any of it came from the environment. */
  raw?: string;
}

/** A value that came from the environment, and the text that named it: messages show the latter. */
export interface FromEnv {
  value: string;
  raw: string;
}

export interface Located {
  data: unknown;
  /** JSON pointer (as TypeBox reports it) → location. */
  locations: Map<string, Location>;
  issues: ConfigIssue[];
  fromEnv: FromEnv[];
}

export function locate(doc: Document, lines: LineCounter, env: Env): Located {
  const locations = new Map<string, Location>();
  const issues: ConfigIssue[] = [];
  const fromEnv: FromEnv[] = [];
  const at = (node: Node | null | undefined): SourcePos | undefined =>
    node?.range ? lines.linePos(node.range[0]) : undefined;
  // Guards against `&a [*a]`, which would otherwise recurse forever.
  const active = new Set<Node>();

  const walk = (node: unknown, pointer: string, keyPos?: SourcePos): unknown => {
    const here = isScalar(node) && node.value === null ? undefined : at(node as Node);
    if (!locations.has(pointer)) locations.set(pointer, { pos: here, keyPos });
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target || active.has(target)) {
        const why = target ? "is used inside the value it refers to" : "has no matching anchor";
        const message = `alias *${node.source} ${why}`;
        issues.push({ code: "YAML_STRUCTURE", path: dotted(pointer), pos: here, message });
        return null;
      }
      active.add(target);
      try {
        // The alias site is recorded above; children point at the anchored definition.
        return walk(target, pointer, keyPos);
      } finally {
        active.delete(target);
      }
    }
    if (isScalar(node)) {
      if (typeof node.value !== "string") return node.value;
      const result = interpolate(node.value, env);
      // The source text is kept whenever a reference was expanded, set or not: an api_key of
      // `${KEY:-}` that came out empty is reported by the variable that was missing.
      if (result.ok && (result.fromEnv || result.value !== node.value))
        locations.get(pointer)!.raw ??= node.value;
      if (result.ok && result.fromEnv) fromEnv.push({ value: result.value, raw: node.value });
      if (result.ok) return result.value;
      issues.push({ code: "ENV_VAR", path: dotted(pointer), pos: here, message: result.message });
      // Undefined is invisible to the schema checks, so "${X} is not a valid api_type" cannot pile on.
      return undefined;
    }
    if (isSeq(node)) return node.items.map((item, i) => walk(item, `${pointer}/${i}`));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const mergeSources: unknown[] = [];
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && typeof key.value === "symbol") {
          mergeSources.push(...(isSeq(pair.value) ? pair.value.items : [pair.value]));
          continue;
        }
        if (!isScalar(key) || key.value === null || typeof key.value === "object") {
          issues.push({
            code: "YAML_STRUCTURE",
            path: dotted(pointer),
            pos: at(key as Node),
            message: "mapping keys must be plain strings",
          });
          continue;
        }
        const name = String(key.value);
        out[name] = walk(pair.value, `${pointer}/${escape(name)}`, at(key));
      }
      // `<<` merge keys: walked after the map's own keys and at the map's own pointer, so own keys win
      // both the value and the recorded location, and merged keys point at their anchored definition.
      for (const source of mergeSources) {
        const value = walk(source, pointer);
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
          const message = "a << merge key needs a mapping or an alias to one";
          const pos = at(source as Node);
          issues.push({ code: "YAML_STRUCTURE", path: dotted(pointer), pos, message });
          continue;
        }
        for (const [k, v] of Object.entries(value)) if (!(k in out)) out[k] = v;
      }
      return out;
    }
    return null;
  };

  const data = walk(doc.contents, "");
  return { data, locations, issues, fromEnv };
}

/** The location to report for `pointer`, falling back to the nearest ancestor that exists in the file. */
export function findLocation(locations: Map<string, Location>, pointer: string): Location {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf("/"))) {
    const found = locations.get(p);
    if (found) return found;
    if (p === "") return {};
  }
}

export function escape(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function segments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/**
 * `/model_list/2/llm_params` → `model_list[2].llm_params`. Numeric segments become indexes only where
 * the config has lists, which is decidable from the pointer alone except inside free-form mappings
 * (headers, body patches); `data` disambiguates those.
 */
export function dotted(pointer: string, data?: unknown, base = ""): string {
  let out = base;
  let cursor: unknown = data;
  for (const seg of segments(pointer)) {
    const isIndex = Array.isArray(cursor) || (cursor === undefined && /^\d+$/.test(seg));
    if (isIndex) out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
    cursor =
      cursor !== null && typeof cursor === "object"
        ? (cursor as Record<string, unknown>)[seg]
        : undefined;
  }
  return out;
}
