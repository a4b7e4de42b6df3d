/**
 * Import layering of `src/`: which top-level folder may import which, no import cycles between
 * files or between folders, and (reported, not enforced) imports that reach past a folder's
 * `index.ts`. Prints each finding as `file -> import (rule)`; exits 1 on any.
 *
 *   bun scripts/check-layers.ts [--all-bypasses]
 */
import { basename, join } from "node:path";
import { moduleOf, readSources, type Source } from "./source-graph";

/** A folder's rule: the folders it may import (`only`), or those it must not (`never`). */
export type LayerRule = ({ only: string[] } | { never: string[] }) & { why: string };

/** Folders that handle a request, in the order a request meets them. */
const REQUEST_PATH = ["server", "core", "attempt", "relay", "upstream", "convert"];
/** The process and its commands: nothing they call reaches back up into them. */
const COMMANDS = ["main", "cli", "check"];

/**
 * Every top-level folder (or file) of src/ needs a line here: a new folder is placed on purpose.
 * A folder may always import its own files.
 */
export const LAYERS: Record<string, LayerRule> = {
  ir: { only: [], why: "the neutral representation imports nothing" },
  wire: { only: ["ir"], why: "a format knows the IR and nothing else" },
  relay: { only: ["ir", "wire"], why: "the stream pump sees bytes, codecs and the IR" },
  upstream: { only: ["ir", "config", "log"], why: "HTTP transport only" },
  attempt: {
    only: ["upstream", "relay", "wire", "ir", "config", "log"],
    why: "one try against one model",
  },
  convert: { only: ["ir", "wire", "config", "log"], why: "decode-then-encode glue" },
  balance: {
    never: ["server", "core", "attempt", "relay", "upstream", "convert", ...COMMANDS],
    why: "the balancer never sees HTTP",
  },
  teams: {
    never: ["server", "core", "attempt", "relay", "upstream", "convert", "metrics", ...COMMANDS],
    why: "keys, limits and spend know nothing of HTTP",
  },
  metrics: { never: [...REQUEST_PATH, ...COMMANDS], why: "observes the request path from aside" },
  log: { never: [...REQUEST_PATH, ...COMMANDS], why: "logging sits below the request path" },
  config: { never: [...REQUEST_PATH, ...COMMANDS], why: "the request path reads config" },
  core: { never: ["server", ...COMMANDS], why: "handle(request) sits below the HTTP server" },
  server: { only: ["core"], why: "the HTTP server routes to core and holds no logic" },
  check: { never: ["server", "main", "cli"], why: "the --check probes are called by the CLI" },
  cli: { never: ["main"], why: "commands never reach the process entry" },
  main: { never: [], why: "the binary's entry" },
  auth: { only: [], why: "the token check shared by core and metrics" },
  version: { only: [], why: "the build's version constant" },
};

export interface LayerReport {
  /** Edges the table forbids, and folders the table lacks. */
  violations: string[];
  /** File cycles through value imports. */
  cycles: string[];
  /** File cycles that need a type-only import to close. */
  typeCycles: string[];
  /** Cycles between top-level folders, through any import. */
  folderCycles: string[];
  /** Imports from outside a folder that reach past its index.ts (reported, not enforced). */
  bypasses: string[];
}

export function checkLayers(root: string, rules: Record<string, LayerRule> = LAYERS): LayerReport {
  const sources = readSources(root);
  const show = (path: string) => `${basename(root)}/${path}`;
  const report: LayerReport = {
    violations: [],
    cycles: [],
    typeCycles: [],
    folderCycles: [],
    bypasses: [],
  };
  const indexes = new Set(sources.map((s) => s.path).filter((p) => p.endsWith("/index.ts")));
  for (const m of new Set(sources.map((s) => moduleOf(s.path)))) {
    if (!rules[m]) report.violations.push(`${show(m)} has no layering rule: add one to LAYERS`);
  }
  for (const s of sources) {
    const from = moduleOf(s.path);
    for (const u of s.unresolved) {
      report.violations.push(`${show(s.path)}:${u.line} -> ${u.specifier} (does not resolve)`);
    }
    for (const i of s.imports) {
      if (!i.target) continue;
      const to = moduleOf(i.target);
      const edge = `${show(s.path)}:${i.line} -> ${show(i.target)}`;
      const rule = rules[from];
      if (to !== from && rule && !allowed(rule, to)) {
        report.violations.push(`${edge} (${describe(from, rule)})`);
      }
      const past = bypassedIndex(s.path, i.target, indexes);
      if (past) report.bypasses.push(`${edge} (import through ${show(past)})`);
    }
  }
  const valueEdges = fileEdges(sources, false);
  const allEdges = fileEdges(sources, true);
  const valueCycles = cyclesOf(valueEdges);
  const inValueCycle = new Set(valueCycles.flat());
  report.cycles = valueCycles.map((c) => cycleLine(c, show));
  report.typeCycles = cyclesOf(allEdges)
    .filter((c) => !c.every((f) => inValueCycle.has(f)))
    .map((c) => cycleLine(c, show));
  report.folderCycles = folderKnots(allEdges, show);
  return report;
}

/** Folders that import each other, each knot listed whole with a few file imports behind each edge. */
function folderKnots(files: Map<string, Set<string>>, show: (path: string) => string): string[] {
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of files) {
    const from = moduleOf(file);
    for (const t of targets) {
      const to = moduleOf(t);
      if (to === from) continue;
      if (!folders.has(from)) folders.set(from, new Set());
      folders.get(from)!.add(to);
    }
  }
  return knotsOf(folders).map((knot) => {
    const inside = new Set(knot);
    const hops = knot.flatMap((m) =>
      [...(folders.get(m) ?? [])]
        .filter((to) => inside.has(to))
        .sort()
        .map((to) => {
          const behind = [...files]
            .filter(([f]) => moduleOf(f) === m)
            .flatMap(([f, ts]) =>
              [...ts].filter((t) => moduleOf(t) === to).map((t) => `${show(f)} -> ${show(t)}`),
            );
          const more = behind.length > 2 ? `, and ${behind.length - 2} more` : "";
          return `${m} -> ${to}: ${behind.slice(0, 2).join(", ")}${more}`;
        }),
    );
    return `folders ${knot.join(", ")} import each other:\n    ${hops.join("\n    ")}`;
  });
}

function allowed(rule: LayerRule, to: string): boolean {
  return "only" in rule ? rule.only.includes(to) : !rule.never.includes(to);
}

function describe(from: string, rule: LayerRule): string {
  const list = (ms: string[]) => ms.map((m) => `${m}/`).join(", ");
  const what =
    "only" in rule
      ? rule.only.length === 0
        ? `${from}/ imports nothing in src`
        : `${from}/ imports only ${list(rule.only)}`
      : `${from}/ never imports ${list(rule.never)}`;
  return `${what}: ${rule.why}`;
}

/** The outermost folder with an index.ts that holds `target` but not `importer`, if `target` is not that index. */
function bypassedIndex(importer: string, target: string, indexes: Set<string>): string | undefined {
  const parts = target.split("/");
  for (let depth = 1; depth < parts.length; depth++) {
    const folder = parts.slice(0, depth).join("/");
    const index = `${folder}/index.ts`;
    if (importer.startsWith(`${folder}/`) || !indexes.has(index)) continue;
    return target !== index ? index : undefined;
  }
  return undefined;
}

function fileEdges(sources: Source[], withTypes: boolean): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const s of sources) {
    const targets = new Set<string>();
    for (const i of s.imports) if (i.target && (withTypes || !i.typeOnly)) targets.add(i.target);
    edges.set(s.path, targets);
  }
  return edges;
}

/** One cycle per knot, as the nodes along the shortest path that closes it. */
export function cyclesOf(edges: Map<string, Set<string>>): string[][] {
  return knotsOf(edges).map((knot) => pathWithin(knot[0]!, new Set(knot), edges));
}

/** The strongly connected components (Tarjan) that hold a cycle, each sorted. */
export function knotsOf(edges: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || edges.get(v)?.has(v)) out.push(component.sort());
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) connect(v);
  return out;
}

/** The shortest path from `start` back to itself inside one component (breadth first). */
function pathWithin(start: string, within: Set<string>, edges: Map<string, Set<string>>): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(edges.get(v) ?? [])].sort()) {
      if (!within.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(from.get(path[0]!)!);
        return path;
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

function cycleLine(cycle: string[], show: (p: string) => string): string {
  return `cycle ${[...cycle, cycle[0]!].map(show).join(" -> ")}`;
}

if (import.meta.main) {
  const root = join(import.meta.dir, "..", "src");
  const r = checkLayers(root);
  const section = (title: string, lines: string[]) => {
    if (lines.length === 0) return;
    console.log(`${title} (${lines.length}):`);
    for (const l of lines) console.log(`  ${l}`);
  };
  section("layering violations", r.violations);
  section("import cycles (value imports)", r.cycles);
  section("import cycles closed by a type-only import", r.typeCycles);
  section("folder cycles", r.folderCycles);
  if (process.argv.includes("--all-bypasses")) section("index.ts bypasses", r.bypasses);
  else if (r.bypasses.length > 0) {
    const byFolder = new Map<string, number>();
    for (const b of r.bypasses) {
      const folder = /\(import through (.*)\)$/.exec(b)![1]!;
      byFolder.set(folder, (byFolder.get(folder) ?? 0) + 1);
    }
    const counts = [...byFolder].map(([f, n]) => `${f} ${n}`).join(", ");
    console.log(`index.ts bypasses, reported only (${r.bypasses.length}): ${counts}`);
    console.log("  (--all-bypasses lists them)");
  }
  const failed =
    r.violations.length + r.cycles.length + r.typeCycles.length + r.folderCycles.length;
  if (failed === 0) console.log("layering: ok");
  process.exit(failed === 0 ? 0 : 1);
}
