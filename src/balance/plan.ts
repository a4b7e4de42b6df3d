import type { GroupConfig, ModelConfig } from "../config/types";

/**
 * The models to try for a request, in order. For now the group's members in configured order,
 * skipping weight 0 unless nothing else is left; weighted strategies and health replace this.
 */
export function planAttempts(group: GroupConfig, models: Map<string, ModelConfig>): ModelConfig[] {
  const live = group.members.filter((m) => m.weight > 0);
  const chosen = live.length > 0 ? live : group.members;
  return chosen.map((m) => models.get(m.model)!).filter(Boolean);
}
