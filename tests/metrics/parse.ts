// A strict reader for the Prometheus text format, so tests assert series and values rather than
// substrings: every sample line must parse, and HELP/TYPE must precede a family's samples.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helped = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") types.set(meta[2]!, meta[3]!);
      else helped.add(meta[2]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    let consumed = 0;
    for (const l of body.matchAll(LABEL)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      consumed += l[0].length;
    }
    if (consumed !== body.length) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    const family = familyOf(m[1]!, types);
    if (!types.has(family) || !helped.has(family))
      throw new Error(`sample before its HELP/TYPE: ${line}`);
    samples.push({ name: m[1]!, labels, value: m[3] === "+Inf" ? Infinity : Number(m[3]) });
  }
  return { samples, types };
}

function familyOf(name: string, types: Map<string, string>): string {
  if (types.has(name)) return name;
  return name.replace(/_(bucket|sum|count)$/, "");
}

/** The value of the one sample with exactly these labels; throws when absent or ambiguous. */
export function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = series(e, name).filter((s) => sameLabels(s.labels, labels));
  if (found.length !== 1)
    throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

export function series(e: Exposition, name: string): Sample[] {
  return e.samples.filter((s) => s.name === name);
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
