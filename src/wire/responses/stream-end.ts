import type { StreamEndRule } from "../stream-end";

const END =
  /^(?:event: ?response\.(?:completed|incomplete)|data: ?\{"type": ?"response\.(?:completed|incomplete)")/m;

/**
 * A Responses stream ends with `response.completed` or `response.incomplete` (no `[DONE]`); a
 * close before either is a cut answer, which Codex retries whole ("stream closed before
 * response.completed"). `response.failed` ends it too, but as a failure: like any format's error
 * event it leaves the stream unfinished, so the model is charged with it. The end event repeats
 * the whole response, so it is long: it is found by its start, the `event:` line or the `type`
 * that opens its data (OpenAI writes `type` first), at the start of a line. Neither can occur
 * inside a JSON string, where a line break is escaped, so no text a model writes can fake it.
 */
export const RESPONSES_STREAM_END: StreamEndRule = {
  endEvent: END,
  // The end event is the finish: there is no finish without it.
  finish: END,
  closeAfterFinish: false,
  endStarts: [
    "\nevent: response.completed",
    "\nevent: response.incomplete",
    '\ndata: {"type":"response.completed"',
    '\ndata: {"type":"response.incomplete"',
  ],
};
