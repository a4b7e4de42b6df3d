/** A format's rule for a kind of name (tool names, tool-call ids). */
export interface NameRule {
  /** Characters allowed; others are replaced by `_`. */
  allowed: RegExp;
  max: number;
  /** What the first character must match, if restricted (Gemini: a letter or `_`). */
  first?: RegExp;
}

/**
 * A per-request, two-way map between names as the client wrote them and names that fit a
 * target format's rules (tool names, tool-call ids). Names that already fit are kept; others
 * are rewritten deterministically (illegal characters → `_`, truncated, plus a short hash of
 * the original), so the same name always maps the same way, in the call and in its result.
 */
export class NameMap {
  private readonly toWireMap = new Map<string, string>();
  private readonly fromWireMap = new Map<string, string>();

  constructor(private readonly rule: NameRule | null) {}

  toWire(name: string): string {
    const known = this.toWireMap.get(name);
    if (known !== undefined) return known;
    const wire = this.rule ? fit(name, this.rule) : name;
    this.toWireMap.set(name, wire);
    this.fromWireMap.set(wire, name);
    return wire;
  }

  /** Names the upstream invented (not from us) come back unchanged. */
  fromWire(wire: string): string {
    return this.fromWireMap.get(wire) ?? wire;
  }
}

function fits(name: string, rule: NameRule): boolean {
  if (name.length === 0 || name.length > rule.max) return false;
  if (rule.first && !rule.first.test(name[0]!)) return false;
  for (const ch of name) if (!rule.allowed.test(ch)) return false;
  return true;
}

/** `name` itself when it fits `rule`, else the deterministic legal form NameMap would choose. */
export function fit(name: string, rule: NameRule): string {
  if (fits(name, rule)) return name;
  let safe = [...name].map((ch) => (rule.allowed.test(ch) ? ch : "_")).join("");
  if (rule.first && !rule.first.test(safe[0] ?? "")) safe = "_" + safe;
  const tag = "_" + hash8(name);
  return safe.slice(0, Math.max(1, rule.max - tag.length)) + tag;
}

/** 8 hex chars of FNV-1a: short, stable, and enough to keep distinct names apart within one request. */
function hash8(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
