import {
  isRouterError,
  type IRRequest,
  type IRResponse,
  type StreamEvent,
  type Usage,
} from "../../../src/ir";
import { codecContext, type Format, type UpstreamModel } from "../../../src/wire";

/**
 * What the contract sends and expects, in the neutral form; the format under test writes it out
 * with its own codec. Only what every format can express is used: no signatures (each format
 * carries another's differently), temperature without top_p (Claude takes one of the two).
 */

const USAGE: Usage = { input: 12, cacheRead: 0, cacheWrite: 0, output: 7 };

/** A conversation with every kind of turn a format must carry: system, text, a tool call, its result. */
export const RICH_REQUEST: IRRequest = {
  model: "group",
  system: [{ type: "text", text: "Be brief." }],
  messages: [
    { role: "user", parts: [{ type: "text", text: "Weather in Oslo?" }] },
    {
      role: "assistant",
      parts: [
        { type: "text", text: "Checking." },
        { type: "tool_call", id: "call_1", name: "weather", args: { city: "Oslo" } },
      ],
    },
    {
      role: "user",
      parts: [
        {
          type: "tool_result",
          callId: "call_1",
          name: "weather",
          content: [{ type: "text", text: "cold" }],
        },
      ],
    },
  ],
  tools: [
    {
      name: "weather",
      description: "Weather by city",
      schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  ],
  toolChoice: { type: "auto" },
  maxTokens: 100,
  temperature: 0.5,
  stop: ["END"],
  stream: false,
};

/** The least a client sends: one user turn. */
export function minimalRequest(stream: boolean): IRRequest {
  return {
    model: "group",
    system: [],
    messages: [{ role: "user", parts: [{ type: "text", text: "hi" }] }],
    tools: [],
    maxTokens: 64,
    stream,
    // OpenAI streams carry usage only when asked; the others always do.
    ...(stream ? { streamUsage: true } : {}),
  };
}

export const RESPONSES: Record<string, IRResponse> = {
  "text, stopped": {
    id: "resp_1",
    model: "group",
    parts: [{ type: "text", text: "Hello, world" }],
    finish: { reason: "stop" },
    usage: USAGE,
  },
  "reasoning, text and a tool call": {
    id: "resp_2",
    model: "group",
    parts: [
      { type: "reasoning", text: "The user wants weather." },
      { type: "text", text: "Checking." },
      { type: "tool_call", id: "call_2", name: "weather", args: { city: "Bergen" } },
    ],
    finish: { reason: "tool_calls" },
    usage: USAGE,
  },
  "cut at the token limit": {
    id: "resp_3",
    model: "group",
    parts: [{ type: "text", text: "Once upon a" }],
    finish: { reason: "length" },
    usage: USAGE,
  },
};

const start: StreamEvent = { type: "start", id: "msg_1", model: "group" };
const usage: StreamEvent = { type: "usage", usage: USAGE };

export const STREAMS: Record<string, StreamEvent[]> = {
  "text, stopped": [
    start,
    { type: "text", text: "Hello" },
    { type: "text", text: ", world" },
    usage,
    { type: "finish", finish: { reason: "stop" } },
  ],
  "reasoning, text and a tool call": [
    start,
    { type: "reasoning", text: "The user wants " },
    { type: "reasoning", text: "weather." },
    { type: "text", text: "Checking." },
    { type: "tool_start", index: 0, id: "call_1", name: "weather" },
    { type: "tool_args", index: 0, fragment: '{"city":' },
    { type: "tool_args", index: 0, fragment: '"Oslo"}' },
    { type: "tool_end", index: 0 },
    usage,
    { type: "finish", finish: { reason: "tool_calls" } },
  ],
  "two parallel tool calls": [
    start,
    { type: "tool_start", index: 0, id: "call_a", name: "weather" },
    { type: "tool_args", index: 0, fragment: '{"city":"Oslo"}' },
    { type: "tool_end", index: 0 },
    { type: "tool_start", index: 1, id: "call_b", name: "time" },
    { type: "tool_args", index: 1, fragment: '{"zone":"CET"}' },
    { type: "tool_end", index: 1 },
    usage,
    { type: "finish", finish: { reason: "tool_calls" } },
  ],
  "cut at the token limit": [
    start,
    { type: "text", text: "Once upon a" },
    usage,
    { type: "finish", finish: { reason: "length" } },
  ],
};

/** Through JSON text, as it crosses the wire: nothing a codec returns may survive only in memory. */
export const asSent = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The upstream model the contract's requests are encoded for. */
export function upstreamModel(model: string, apiBase = "http://127.0.0.1:9"): UpstreamModel {
  return { model, apiBase, apiKey: "sk-contract-upstream", defaultMaxTokens: 64 };
}

/** Deterministic per-conversion state, as the router makes it for a request. */
export const context = (format: Format, group = "group") => codecContext(group, format, () => 0.5);

/**
 * A client's request body of this format, for `group`: written by the format's own encoder, so
 * it names the group wherever the format's bodies name a model.
 */
export function clientBody(
  format: Format,
  group: string,
  stream: boolean,
): Record<string, unknown> {
  const ctx = context(format, group);
  const body = format.codec.encodeRequest(minimalRequest(stream), {
    ...ctx,
    target: upstreamModel(group),
  });
  if (isRouterError(body)) throw new Error(`${format.id} cannot encode the minimal request`);
  return body;
}

/** The wire text of a stream of events, as the format's encoder writes it. */
export function encodeStream(
  format: Format,
  events: StreamEvent[],
  opts: { jsonArray?: boolean } = {},
): string {
  const ctx = context(format);
  const encoder = format.codec.createStreamEncoder(ctx, minimalRequest(true), opts);
  let text = "";
  for (const e of events) text += encoder.push(e);
  return text + encoder.end();
}
