import type { RouterConfig } from "../config/types";

/** What a reload changed, for its log line: names added, removed and changed, per kind. */
export function describeChanges(
  before: RouterConfig,
  after: RouterConfig,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const diff = <T>(kind: string, a: Map<string, T>, b: Map<string, T>) => {
    const added = [...b.keys()].filter((k) => !a.has(k));
    const removed = [...a.keys()].filter((k) => !b.has(k));
    const changed = [...b.keys()].filter(
      (k) => a.has(k) && JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)),
    );
    if (added.length) out[`${kind}_added`] = added;
    if (removed.length) out[`${kind}_removed`] = removed;
    if (changed.length) out[`${kind}_changed`] = changed;
  };
  diff("models", before.models, after.models);
  diff("groups", before.groups, after.groups);
  // Names only: a key's secret (its digest) never reaches the log line.
  const keys = (c: RouterConfig) => new Map(c.keys.map((k) => [k.name, k]));
  diff("keys", keys(before), keys(after));
  if (before.strategy !== after.strategy) out.strategy = [before.strategy, after.strategy];
  return out;
}
