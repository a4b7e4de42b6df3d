import type { StreamEndRule } from "../stream-end";

/**
 * A Responses stream ends with exactly one of `response.completed`, `response.incomplete` or
 * `response.failed` (no `[DONE]`). That event repeats the whole response, so it is long: it is
 * found by its start, the `event:` line or the `type` that opens its data (OpenAI writes `type`
 * first), at the start of a line. Neither can occur inside a JSON string, where a line break is
 * escaped, so no text a model writes can fake the end. A close before it is a cut answer: Codex
 * retries the whole turn ("stream closed before response.completed").
 */
export const RESPONSES_STREAM_END: StreamEndRule = {
  endEvent:
    /^(?:event: ?response\.(?:completed|incomplete|failed)|data: ?\{"type": ?"response\.(?:completed|incomplete|failed)")/m,
  finish:
    /^(?:event: ?response\.(?:completed|incomplete|failed)|data: ?\{"type": ?"response\.(?:completed|incomplete|failed)")/m,
  closeAfterFinish: true,
  endStarts: [
    "\nevent: response.completed",
    "\nevent: response.incomplete",
    "\nevent: response.failed",
    '\ndata: {"type":"response.completed"',
    '\ndata: {"type":"response.incomplete"',
    '\ndata: {"type":"response.failed"',
  ],
};
