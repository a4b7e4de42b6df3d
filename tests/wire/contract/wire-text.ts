import { createParser } from "eventsource-parser";
import type { FinishReason, StreamEvent } from "../../../src/ir";
import type { Format } from "../../../src/wire";
import { context } from "./samples";

/** One SSE event or array element, as a format's stream decoder takes it. */
type StreamFrame = Parameters<ReturnType<Format["codec"]["createStreamDecoder"]>["push"]>[0];

/**
 * Reading wire text the way a client does: SSE framed by the same parser library the router
 * uses (not the router's own framer, so a framing bug there cannot hide), then decoded by the
 * format's own stream decoder.
 */

export function sseFrames(text: string): StreamFrame[] {
  const frames: StreamFrame[] = [];
  const parser = createParser({
    onEvent: (e) => frames.push(e.event ? { event: e.event, data: e.data } : { data: e.data }),
  });
  parser.feed(text);
  parser.feed("\n\n");
  return frames;
}

/** A streamed JSON array (Gemini without `alt=sse`): one frame per element. */
export function arrayFrames(text: string): StreamFrame[] {
  const items: unknown = JSON.parse(text);
  if (!Array.isArray(items)) throw new Error(`not a JSON array: ${text.slice(0, 80)}`);
  return items.map((item) => ({ data: JSON.stringify(item) }));
}

/**
 * The exact text of each SSE event, its closing blank line included, so a stream can be cut
 * at event boundaries without a byte changed. Text after the last blank line is kept as is.
 */
export function rawEvents(text: string): string[] {
  const events = text.match(/[\s\S]*?\r?\n\r?\n/g) ?? [];
  const rest = text.slice(events.join("").length);
  return rest ? [...events, rest] : events;
}

export interface Decoded {
  /** The events of the frames, without what `end()` adds for a stream that stopped short. */
  pushed: StreamEvent[];
  /** What the decoder adds when told the stream closed here. */
  atEnd: StreamEvent[];
}

export function decodeFrames(format: Format, frames: StreamFrame[]): Decoded {
  const decoder = format.codec.createStreamDecoder(context(format));
  const pushed = frames.flatMap((f) => decoder.push(f));
  return { pushed, atEnd: decoder.end() };
}

/** What a stream of events says, blocks merged: what a round trip must keep. */
export interface Digest {
  /** Kinds of content in order, a run of one kind counted once. */
  blocks: string[];
  text: string;
  reasoning: string;
  tools: { id: string; name: string; args: unknown }[];
  /** The last usage reported (they are cumulative). */
  usage?: { input: number; cacheRead: number; cacheWrite: number; output: number };
  finish?: FinishReason;
  errors: string[];
}

export function digest(events: StreamEvent[]): Digest {
  const d: Digest = { blocks: [], text: "", reasoning: "", tools: [], errors: [] };
  const args: string[] = [];
  const block = (kind: string) => d.blocks.at(-1) !== kind && d.blocks.push(kind);
  for (const e of events) {
    switch (e.type) {
      case "text":
        block("text");
        d.text += e.text;
        break;
      case "reasoning":
        block("reasoning");
        d.reasoning += e.text;
        break;
      case "tool_start":
        block(`tool ${e.index}`);
        d.tools[e.index] = { id: e.id, name: e.name, args: undefined };
        args[e.index] = "";
        break;
      case "tool_args":
        args[e.index] += e.fragment;
        break;
      case "usage": {
        const { input, cacheRead, cacheWrite, output } = e.usage;
        d.usage = { input, cacheRead, cacheWrite, output };
        break;
      }
      case "finish":
        d.finish = e.finish.reason;
        break;
      case "error":
        d.errors.push(e.error.code);
        break;
    }
  }
  d.tools.forEach((t, i) => (t.args = args[i] ? JSON.parse(args[i]) : {}));
  return d;
}

/** The verdict a format's end rule gives a stream that stopped after `text`. */
export function ruleSaysWhole(format: Format, text: string): boolean {
  const rule = format.streamEnd;
  return (rule.endEvent?.test(text) ?? false) || (rule.closeAfterFinish && rule.finish.test(text));
}
