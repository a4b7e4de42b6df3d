import type { CodecContext } from "../codec";
import { synthId } from "../ids";

/** Upstream Responses ids are kept (they help correlate logs); others get a `resp_` id. */
export function responseId(upstream: string | undefined, ctx: CodecContext): string {
  return upstream?.startsWith("resp_") ? upstream : synthId("resp_", ctx.random);
}

/** Output item ids by kind, as OpenAI prefixes them. */
const ITEM_PREFIX = {
  message: "msg_",
  function_call: "fc_",
  custom_tool_call: "ctc_",
  reasoning: "rs_",
} as const;

/** How many item ids each conversion issued: the count ends every id, so no two are alike. */
const issued = new WeakMap<CodecContext, number>();

/**
 * A fresh item id. Unique within the answer whatever the random source gives (a seeded one in
 * tests, or a poor one): clients find items by id, and two alike would merge two calls.
 */
export function itemId(kind: keyof typeof ITEM_PREFIX, ctx: CodecContext): string {
  const n = issued.get(ctx) ?? 0;
  issued.set(ctx, n + 1);
  return synthId(ITEM_PREFIX[kind], ctx.random) + n.toString(36);
}
