import type { ConfigIssue, RouterConfig } from "../../config/types";
import { checkSelector } from "./check";

/**
 * Compiles every selector of a config on its own, so one that does not compile is reported at
 * load with its group, model and place in config.yaml (the combined program would only say
 * that something somewhere failed).
 */
export async function checkConfigSelectors(config: RouterConfig): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  let g = 0;
  for (const group of config.groups.values()) {
    for (const [i, member] of group.members.entries()) {
      if (member.selector === undefined) continue;
      const check = await checkSelector(member.selector);
      if (check.ok) continue;
      const where = check.line !== undefined ? ` (line ${check.line} of the selector)` : "";
      issues.push({
        code: "SELECTOR",
        path: `router_settings.model_groups[${g}].models[${i}].selector`,
        pos: member.selectorPos,
        message: `selector of model "${member.model}" in group "${group.name}" does not compile: ${check.message}${where}`,
      });
    }
    g++;
  }
  return issues;
}
