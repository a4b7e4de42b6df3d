/**
 * Fallback groups: every name a group falls back to must exist, and following fallbacks must never
 * lead back to where it started. Each group's `chain` is then fixed at load: the group, then its
 * fallbacks and theirs, depth first, each group once — the order a request may move through groups.
 */
import type { Reporter } from "./reporter";
import type { GroupConfig } from "./types";
import { closest } from "./validate";

/** `pointers` maps a group name to the JSON pointer of its entry in model_groups. */
export function resolveFallbacks(
  r: Reporter,
  groups: Map<string, GroupConfig>,
  pointers: Map<string, string>,
): void {
  let sound = true;
  for (const group of groups.values()) {
    (group.fallbacks ?? []).forEach((name, i) => {
      if (groups.has(name)) return;
      sound = false;
      const guess = closest(name, [...groups.keys()]);
      r.error(
        "UNKNOWN_GROUP",
        `${pointers.get(group.name)}/fallbacks/${i}`,
        `fallback group "${name}" is not defined in model_groups${guess ? `; did you mean "${guess}"?` : ""}`,
      );
    });
  }
  if (!sound) return;
  const cycle = findCycle(groups);
  if (cycle) {
    const [from, index] = cycle.closedAt;
    r.error(
      "FALLBACK_CYCLE",
      `${pointers.get(from)}/fallbacks/${index}`,
      `fallbacks form a cycle: ${cycle.path.join(" → ")}`,
    );
    return;
  }
  for (const group of groups.values()) group.chain = chainOf(group, groups);
}

interface Cycle {
  /** Group names from the first in the cycle back to it. */
  path: string[];
  /** The group and fallback index whose edge closes the cycle: where the error points. */
  closedAt: [string, number];
}

/** Depth-first search with the classic three colours; the first back edge found is the cycle. */
function findCycle(groups: Map<string, GroupConfig>): Cycle | undefined {
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (name: string): Cycle | undefined => {
    stack.push(name);
    onStack.add(name);
    const fallbacks = groups.get(name)!.fallbacks ?? [];
    for (let i = 0; i < fallbacks.length; i++) {
      const next = fallbacks[i]!;
      if (onStack.has(next))
        return { path: [...stack.slice(stack.indexOf(next)), next], closedAt: [name, i] };
      if (done.has(next)) continue;
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    onStack.delete(name);
    done.add(name);
    return undefined;
  };
  for (const name of groups.keys()) {
    if (done.has(name)) continue;
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}

function chainOf(group: GroupConfig, groups: Map<string, GroupConfig>): string[] {
  const chain: string[] = [];
  const walk = (name: string) => {
    if (chain.includes(name)) return;
    chain.push(name);
    for (const next of groups.get(name)!.fallbacks ?? []) walk(next);
  };
  walk(group.name);
  return chain;
}
