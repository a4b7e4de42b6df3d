import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_TIMEOUTS, type ModelConfig } from "../../../src/config/types";
import { isRouterError } from "../../../src/ir/error";
import type { IRRequest } from "../../../src/ir/request";
import type { StreamEvent } from "../../../src/ir/stream";
import { Warnings } from "../../../src/ir/warning";
import type { CodecContext, EncodeRequestContext, StreamFrame } from "../../../src/wire/codec";
import { NameMap } from "../../../src/wire/names";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { sseFrameStream } from "../../../src/wire/sse/frames";
import { seeded } from "../../helpers";

export const GROUP = "my-group";

export function ctx(): CodecContext {
  return {
    group: GROUP,
    warnings: new Warnings(),
    toolNames: new NameMap(null),
    toolIds: new NameMap(null),
    clientTools: new Map(),
    random: seeded(),
  };
}

/** A context as the glue builds it for an OpenAI upstream: NameMaps with this codec's rules. */
export function encodeCtx(target: Partial<ModelConfig> = {}): EncodeRequestContext {
  return {
    ...ctx(),
    toolNames: new NameMap(openaiCodec.toolNameRule),
    toolIds: new NameMap(openaiCodec.toolIdRule),
    clientTools: new Map(),
    target: {
      name: "m",
      apiType: "openai",
      model: "gpt-test",
      apiBase: "https://compat.example/v1",
      apiKey: "",
      rewriteHeader: {},
      timeouts: DEFAULT_TIMEOUTS,
      ...target,
    },
  };
}

/** The codec's decodeRequest of `body` with a model added; a returned error fails the test. */
export function decodeRequestOk(body: Record<string, unknown>, c = ctx()): IRRequest {
  const out = openaiCodec.decodeRequest({ model: "g", ...body }, c);
  if (isRouterError(out)) throw new Error(`unexpected error: ${out.message}`);
  return out;
}

/** A request of one user turn, with `over` on top. */
export const irRequest = (over: Partial<IRRequest> = {}): IRRequest => ({
  model: "g",
  system: [],
  messages: [{ role: "user", parts: [{ type: "text", text: "hi" }] }],
  tools: [],
  stream: false,
  ...over,
});

/** The codec's encodeRequest of irRequest(over); a returned error fails the test. */
export function encodeRequestOk(
  over: Partial<IRRequest> = {},
  c: EncodeRequestContext = encodeCtx(),
): Record<string, any> {
  const out = openaiCodec.encodeRequest(irRequest(over), c);
  if (isRouterError(out)) throw new Error(`unexpected error: ${out.message}`);
  return out;
}

/** The fields the codec warned about. */
export const warnedFields = (c: CodecContext) => c.warnings.list.map((w) => w.what);

export const userMessage = (content: unknown) => ({ role: "user", content });

export const FIXTURES = join(import.meta.dir, "../../fixtures");
export const fixtureText = (path: string) => readFileSync(join(FIXTURES, path), "utf8");
export const fixtureJson = (path: string) => JSON.parse(fixtureText(path));

export async function framesOf(chunks: string[]): Promise<StreamFrame[]> {
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
  const dec = openaiCodec.createStreamDecoder(c);
  return [...frames.flatMap((f) => dec.push(f)), ...dec.end()];
}

export const textOf = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
export const reasoningOf = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === "reasoning" ? [e.text] : [])).join("");
export const argsOf = (events: StreamEvent[], index: number) =>
  events.flatMap((e) => (e.type === "tool_args" && e.index === index ? [e.fragment] : [])).join("");
export const ofType = <T extends StreamEvent["type"]>(events: StreamEvent[], type: T) =>
  events.filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);

/** Serves fixed bytes once per request, so a real SDK can be pointed at them. */
export async function withServer<T>(
  body: string,
  contentType: string,
  run: (baseURL: string) => Promise<T>,
  status = 200,
): Promise<T> {
  const server = Bun.serve({
    port: 0,
    fetch: () => new Response(body, { status, headers: { "content-type": contentType } }),
  });
  try {
    return await run(`http://127.0.0.1:${server.port}/v1`);
  } finally {
    server.stop(true);
  }
}
