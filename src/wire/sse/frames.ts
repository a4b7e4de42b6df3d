import { createParser, type EventSourceParser } from "eventsource-parser";
import type { StreamFrame } from "../codec";

/** Frame name for text that arrived outside SSE framing (Gemini may end a stream with a bare JSON error). */
export const RAW_TAIL = "llm-router:raw";

/**
 * Upstream SSE text → frames, using a well-kept parser for the framing rules (CRLF, comments,
 * multi-line data, retry and id fields). Lines that are not SSE at all are collected and
 * handed on as one RAW_TAIL frame at the end, so a codec can recognise an unframed error.
 */
export function sseFrameStream(): TransformStream<string, StreamFrame> {
  let pending: StreamFrame[] = [];
  const raw: string[] = [];
  const parser: EventSourceParser = createParser({
    onEvent: (e) => pending.push(e.event ? { event: e.event, data: e.data } : { data: e.data }),
    onError: (err) => {
      if (err.type === "unknown-field" && err.line !== undefined) raw.push(err.line);
    },
  });
  const drain = (controller: TransformStreamDefaultController<StreamFrame>) => {
    for (const f of pending) controller.enqueue(f);
    pending = [];
  };
  return new TransformStream({
    transform(chunk, controller) {
      parser.feed(chunk);
      drain(controller);
    },
    flush(controller) {
      // A final event without its blank line still counts (some servers close right after it).
      parser.feed("\n\n");
      drain(controller);
      if (raw.length) controller.enqueue({ event: RAW_TAIL, data: raw.join("\n") });
    },
  });
}

/** An SSE frame with only data (OpenAI, Gemini). Gemini's own server separates frames with CRLF. */
export function sseData(json: string, crlf = false): string {
  return crlf ? `data: ${json}\r\n\r\n` : `data: ${json}\n\n`;
}

/** An SSE frame with an event name (Anthropic: the SDK dispatches on it). */
export function sseEvent(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}
