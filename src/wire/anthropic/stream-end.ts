import type { StreamEndRule } from "../stream-end";

/**
 * `message_stop` ends the stream, and nothing else does. The API documents it as every stream's
 * last event, the Anthropic SDKs finish a message on it, and the compatible servers send it; a
 * close after `message_delta` (which carries the stop reason) but before it is as likely a cut
 * as anything, so it is not taken for a whole answer.
 */
export const ANTHROPIC_STREAM_END: StreamEndRule = {
  // The event line, or a data line whose type says it (servers that send no event names).
  endEvent: /^event: ?message_stop\r?$|^data: ?\{"type": ?"message_stop"/m,
  finish: /"stop_reason": ?"/,
  closeAfterFinish: false,
};
