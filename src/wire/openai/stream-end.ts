import type { StreamEndRule } from "../stream-end";

/**
 * `data: [DONE]` ends the stream; a close right after a chunk with a finish_reason ends it too.
 * The finish_reason is the model's own last word: after it only the usage chunk (when asked for)
 * and [DONE] are due, and some OpenAI-compatible servers close without [DONE]. The OpenAI SDKs
 * accept that (they stop at [DONE] or at the close, whichever comes first), so the router does
 * too; a close before any finish_reason is a cut answer (a tool call may be half-streamed).
 */
export const OPENAI_STREAM_END: StreamEndRule = {
  endEvent: /^data: ?\[DONE\]\r?$/m,
  // Only a string value: `"finish_reason":null` is every other chunk. Inside a JSON string the
  // quotes would be escaped, so content cannot fake it.
  finish: /"finish_reason": ?"/,
  closeAfterFinish: true,
};
