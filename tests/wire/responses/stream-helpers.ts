import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { IRRequest } from "../../../src/ir/request";
import type { StreamEvent } from "../../../src/ir/stream";
import type { CodecContext, StreamFrame } from "../../../src/wire/codec";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { sseFrameStream } from "../../../src/wire/sse/frames";
import { ctx, irRequest } from "./helpers";

export const fixtureText = (name: string) =>
  readFileSync(join(import.meta.dir, "../../fixtures/responses", name), "utf8");
export const fixtureJson = (name: string) => JSON.parse(fixtureText(name));

async function framesOf(chunks: string[]): Promise<StreamFrame[]> {
  const src = new ReadableStream<string>({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });
  return Array.fromAsync(src.pipeThrough(sseFrameStream()));
}

/** Runs the codec's stream decoder over wire text the way the glue does, `end()` included. */
export async function decodeStream(
  text: string | string[],
  c: CodecContext = ctx(),
): Promise<StreamEvent[]> {
  const frames = await framesOf(Array.isArray(text) ? text : [text]);
  const dec = responsesCodec.createStreamDecoder(c);
  return [...frames.flatMap((f) => dec.push(f)), ...dec.end()];
}

/** The encoder's whole output for these events, `end()` included. */
export function encodeStream(
  events: StreamEvent[],
  c: CodecContext = ctx(),
  req: IRRequest = irRequest({ stream: true }),
): string {
  const enc = responsesCodec.createStreamEncoder(c, req);
  return events.map((e) => enc.push(e)).join("") + enc.end();
}

/** One SSE event of the encoder's output, its data parsed. */
export interface WireEvent {
  event: string;
  data: Record<string, any>;
}

/** Splits SSE text into events; every event must be `event:` + one `data:` line. */
export function wireEvents(text: string): WireEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block !== "")
    .map((block) => {
      const m = /^event: (.+)\ndata: (.+)$/.exec(block);
      if (!m) throw new Error(`not an event frame: ${JSON.stringify(block)}`);
      return { event: m[1]!, data: JSON.parse(m[2]!) };
    });
}

export const typesOf = (events: WireEvent[]) => events.map((e) => e.event);
export const textOf = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
export const reasoningOf = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === "reasoning" ? [e.text] : [])).join("");
export const argsOf = (events: StreamEvent[], index: number) =>
  events.flatMap((e) => (e.type === "tool_args" && e.index === index ? [e.fragment] : [])).join("");
export const ofType = <T extends StreamEvent["type"]>(events: StreamEvent[], type: T) =>
  events.filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);
