/**
 * Context windows: a request is sized (estimated input tokens plus the output it asks for) only
 * when it could matter — some model it may reach has a `context_window` — so a config without
 * windows pays nothing. Members whose window cannot hold the request are not offered it.
 */
import type { RoutedCall } from "../attempt";
import { estimateInputTokens } from "../attempt/estimate";
import type { GroupConfig, RouterConfig } from "../config/types";
import { isRouterError, routerError, type RouterError } from "../ir";
import { codecContext } from "../wire";

export interface RequestSize {
  input: number;
  /** The output the request asks room for (its max tokens), when it names one. */
  output?: number;
}

/** Whether any model of these groups has a context window: only then is a request sized. */
export function windowsMatter(config: RouterConfig, chain: readonly string[]): boolean {
  return chain.some((name) =>
    config.groups
      .get(name)!
      .members.some((m) => config.models.get(m.model)?.contextWindow !== undefined),
  );
}

/** The request's size, from its own format decoded to the IR; undefined when it does not decode. */
export async function sizeRequest(call: RoutedCall): Promise<RequestSize | undefined> {
  if (call.op !== "generate") return undefined;
  const ir = call.client.codec.decodeRequest(call.body, codecContext(call.group, call.client));
  if (isRouterError(ir)) return undefined;
  const input = await estimateInputTokens(ir);
  return ir.maxTokens !== undefined ? { input, output: ir.maxTokens } : { input };
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
    } as never,
  );
}
