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

export const itemId = (kind: keyof typeof ITEM_PREFIX, ctx: CodecContext): string =>
  synthId(ITEM_PREFIX[kind], ctx.random);
