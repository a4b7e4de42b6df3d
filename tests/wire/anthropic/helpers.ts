import { readFileSync } from "node:fs";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { DEFAULT_TIMEOUTS, type ModelConfig } from "../../../src/config/types";
import { Warnings, type StreamEvent } from "../../../src/ir";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import type { EncodeRequestContext, StreamFrame } from "../../../src/wire/codec";
import { NameMap } from "../../../src/wire/names";
import { sseFrameStream } from "../../../src/wire/sse/frames";
import { seeded } from "../../helpers";

export const GROUP = "my-group";

function target(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: "claude",
    apiType: "anthropic",
    model: "claude-upstream",
    apiBase: "http://127.0.0.1:1",
    apiKey: "",
    rewriteHeader: {},
    timeouts: DEFAULT_TIMEOUTS,
    ...over,
  };
}

export function ctx(over: Partial<ModelConfig> = {}): EncodeRequestContext {
  return {
    group: GROUP,
    warnings: new Warnings(),
    toolNames: new NameMap(anthropicCodec.toolNameRule),
    toolIds: new NameMap(anthropicCodec.toolIdRule),
    clientTools: new Map(),
    random: seeded(),
    target: target(over),
  };
}

const FIXTURES = join(import.meta.dir, "../../fixtures");

export const fixtureText = (path: string): string => readFileSync(join(FIXTURES, path), "utf8");
export const fixtureJson = (path: string): any => JSON.parse(fixtureText(path));

/** SSE text → frames through the router's own framing layer, fed in the given pieces. */
export async function framesOf(text: string | string[]): Promise<StreamFrame[]> {
  const chunks = typeof text === "string" ? [text] : text;
  const src = new ReadableStream<string>({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });
  return Array.fromAsync(src.pipeThrough(sseFrameStream()));
}

/** Decodes a whole upstream stream the way the glue does: frames, then end(). */
export async function decodeStream(text: string | string[], c = ctx()): Promise<StreamEvent[]> {
  const dec = anthropicCodec.createStreamDecoder(c);
  const frames = await framesOf(text);
  return [...frames.flatMap((f) => dec.push(f)), ...dec.end()];
}

/** Encodes IR events the way the glue does: push each, then end(). */
export function encodeStream(events: StreamEvent[], c = ctx()): string {
  const enc = anthropicCodec.createStreamEncoder(c, {
    model: GROUP,
    system: [],
    messages: [],
    tools: [],
    stream: true,
  });
  return events.map((e) => enc.push(e)).join("") + enc.end();
}

/** The official SDK pointed at a fetch that answers with `body`: proves the SDK parses what we write. */
export function sdkAnswering(
  body: string,
  contentType = "text/event-stream",
  status = 200,
): Anthropic {
  return new Anthropic({
    apiKey: "test",
    baseURL: "http://sdk.test",
    maxRetries: 0,
    fetch: async () => new Response(body, { status, headers: { "content-type": contentType } }),
  });
}

export const sdkParams = {
  model: GROUP,
  max_tokens: 100,
  messages: [{ role: "user" as const, content: "hi" }],
};

/** Text of all `text` events, joined. */
export const textOf = (events: StreamEvent[], type: "text" | "reasoning" = "text"): string =>
  events
    .filter((e) => e.type === type)
    .map((e) => (e as { text: string }).text)
    .join("");

/** Tool-call arguments per tool index, joined from their fragments. */
export function toolArgs(events: StreamEvent[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of events)
    if (e.type === "tool_args") out.set(e.index, (out.get(e.index) ?? "") + e.fragment);
  return out;
}
