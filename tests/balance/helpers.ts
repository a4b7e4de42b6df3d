import type { GroupConfig } from "../../src/config/types";
import { createBalancer, HealthRegistry } from "../../src/balance";

/** Shared by the health and probe tests: an injected clock, small group builders, a fresh balancer. */
export function fakeClock(start = 0) {
  let t = start;
  return { now: () => t, set: (ms: number) => void (t = ms) };
}
export const group = (name: string, weights: Record<string, number>): GroupConfig => ({
  name,
  members: Object.entries(weights).map(([model, weight]) => ({ model, weight })),
});
export const all = (g: GroupConfig) => g.members.map(() => true);
export const order = (p: { candidates: { model: string; reason: string }[] }) =>
  p.candidates.map((c) => `${c.model}:${c.reason}`);

export function setup(cooldownMs?: number) {
  const clock = fakeClock();
  const health = new HealthRegistry({ clock, cooldownMs });
  const balancer = createBalancer("roundrobin", health, { random: () => 0 });
  return { clock, health, balancer };
}
