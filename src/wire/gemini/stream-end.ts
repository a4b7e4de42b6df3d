import type { StreamEndRule } from "../stream-end";

/**
 * Gemini's stream has no end event (no [DONE] in SSE; the array just closes): it ends with the
 * connection, and is whole when a chunk carried a candidate's finishReason, or the prompt was
 * blocked (promptFeedback.blockReason, no candidate). A close before either is a cut answer.
 */
export const GEMINI_STREAM_END: StreamEndRule = {
  finish: /"(finishReason|blockReason)": ?"/,
  closeAfterFinish: true,
  finishText: '"finishReason"',
};
