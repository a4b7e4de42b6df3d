/**
 * Context windows: a request is sized (estimated input tokens plus the output it asks for) only
 * when it could matter — some model it may reach has a `context_window`, or a selector reads
 * `$tokens` — so a config without either pays nothing. Members whose window cannot hold the
 * request are not offered it.
 */
import type { GroupConfig, RouterConfig } from "../config/types";
import { routerError, type RouterError } from "../ir";

export interface RequestSize {
  input: number;
  /** The output the request asks room for (its max tokens), when it names one. */
  output?: number;
}

/**
 * Whether the request must be sized: a model of these groups has a context window, or a selector
 * of theirs reads `$tokens`. Both are fixed per config, so this is a few lookups per request.
 */
export function sizeMatters(
  config: RouterConfig,
  chain: readonly string[],
  selectorsNeedTokens?: (group: string) => boolean,
): boolean {
  return chain.some(
    (name) =>
      selectorsNeedTokens?.(name) ||
      config.groups
        .get(name)!
        .members.some((m) => config.models.get(m.model)?.contextWindow !== undefined),
  );
}

/** A window of `window` tokens holds the request; a model without a window holds anything. */
function fits(window: number | undefined, size: RequestSize | undefined): boolean {
  if (window === undefined || size === undefined) return true;
  return size.input + (size.output ?? 0) <= window;
}

/** Eligibility with the members whose window is too small turned off; `skipped` counts them. */
export function fitWindows(
  config: RouterConfig,
  group: GroupConfig,
  eligible: boolean[],
  size: RequestSize | undefined,
): { eligible: boolean[]; largest?: number; skipped: number } {
  if (size === undefined) return { eligible, skipped: 0 };
  let skipped = 0;
  let largest: number | undefined;
  const out = group.members.map((m, i) => {
    const window = config.models.get(m.model)?.contextWindow;
    if (!eligible[i] || fits(window, size)) return eligible[i]!;
    skipped++;
    largest = Math.max(largest ?? 0, window!);
    return false;
  });
  return { eligible: out, largest, skipped };
}

/**
 * The router's own context-length error, with the numbers agents read: Claude Code compacts or
 * shrinks max_tokens, Codex compacts, on seeing them in their client's error form.
 */
export function tooLong(group: string, size: RequestSize, limit: number): RouterError {
  return routerError(
    "invalid_request",
    `the request (about ${size.input} input tokens${size.output ? ` + ${size.output} output` : ""}) does not fit the context window of any model in group "${group}" (largest ${limit})`,
    {
      subtype: "context_length_exceeded",
      tokens: { input: size.input, ...(size.output ? { output: size.output } : {}), limit },
    },
  );
}
