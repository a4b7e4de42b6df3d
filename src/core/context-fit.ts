/**
 * Context windows: a request is sized (estimated input tokens plus the output it asks for) only
 * when it could matter — a group it reaches has a model with a `context_window`, or a selector
 * reading `$tokens` — so a group without either pays nothing. Members whose window cannot hold the
 * request are not offered it.
 */
import type { GroupConfig, RouterConfig } from "../config/types";
import { routerError, type RouterError } from "../ir";
import type { SelectorEvaluator } from "./runtime";

export interface RequestSize {
  input: number;
  /** The output the request asks room for (its max tokens), when it names one. */
  output?: number;
}

/**
 * Whether reaching this group needs the request's size: a model of it has a context window, or
 * a selector of it reads `$tokens`. Both are fixed per config: a few lookups, no estimate.
 */
export function sizeMatters(
  config: RouterConfig,
  group: GroupConfig,
  selectors: Pick<SelectorEvaluator, "needsTokens"> | undefined,
): boolean {
  return (
    selectors?.needsTokens(group.name) === true ||
    group.members.some((m) => config.models.get(m.model)?.contextWindow !== undefined)
  );
}

/** A window of `window` tokens holds the request; a model without a window holds anything. */
function fits(window: number | undefined, input: number, output: number): boolean {
  return window === undefined || input + output <= window;
}

export interface WindowCheck {
  /** The request's size; undefined when it was not needed (no window in the group). */
  size?: RequestSize;
  /** The client's format: a model of another format gets max_tokens clamped to its max_output_tokens. */
  format: string;
  /** After an upstream's context-length error: only windows larger than this can help. */
  larger?: number;
}

/**
 * Eligibility with the members whose window cannot hold the request turned off, and after an
 * overflow those whose window is no larger. The output counted is what the model will be asked
 * for: a conversion clamps max_tokens to the model's max_output_tokens, passthrough does not.
 * `largest` is the largest window that was too small, for the error when none fits.
 */
export function fitWindows(
  config: RouterConfig,
  group: GroupConfig,
  eligible: boolean[],
  check: WindowCheck,
): { eligible: boolean[]; largest?: number } {
  const { size, format, larger } = check;
  if (size === undefined && larger === undefined) return { eligible };
  let largest: number | undefined;
  const out = group.members.map((m, i) => {
    if (!eligible[i]) return false;
    const model = config.models.get(m.model);
    const window = model?.contextWindow;
    if (larger !== undefined && !((window ?? 0) > larger)) return false;
    if (size === undefined || model === undefined) return true;
    const clamp = model.apiType !== format ? model.maxOutputTokens : undefined;
    const output = Math.min(size.output ?? 0, clamp ?? Infinity);
    if (fits(window, size.input, output)) return true;
    largest = Math.max(largest ?? 0, window!);
    return false;
  });
  return largest === undefined ? { eligible: out } : { eligible: out, largest };
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
