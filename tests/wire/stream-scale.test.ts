import { describe, expect, test } from "bun:test";
import { FORMATS, codecContext } from "../../src/wire";
import type { IRRequest } from "../../src/ir";
import { growth } from "./scale";

/**
 * A streamed answer's size is the upstream's to choose: n parallel tool calls whose argument
 * fragments arrive interleaved must cost n to decode and to re-encode, not n² (each fragment
 * once looked its call up by scanning every call so far). Sizes 4k and 32k calls; quadratic
 * lookups would take 64× as long for the larger, linear 8×.
 */

const N = 4_000;
const BOUND = 24;
const REQ: IRRequest = { model: "g", system: [], messages: [], tools: [], stream: true };

/** n calls announced first, then one argument fragment for each, first call first. */
function openaiFrames(n: number): { data: string }[] {
  const chunk = (delta: unknown, finish: string | null = null) => ({
    data: JSON.stringify({
      id: "c",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta, finish_reason: finish }],
    }),
  });
  const frames = [chunk({ role: "assistant", content: null })];
  for (let i = 0; i < n; i++)
    frames.push(
      chunk({
        tool_calls: [
          {
            index: i,
            id: `call_${i}`,
            type: "function",
            function: { name: "read", arguments: "" },
          },
        ],
      }),
    );
  for (let i = 0; i < n; i++)
    frames.push(chunk({ tool_calls: [{ index: i, function: { arguments: `{"i":${i}}` } }] }));
  frames.push(chunk({}, "tool_calls"), { data: "[DONE]" });
  return frames;
}

/** The same in the Responses API's events: n call items added, then a fragment for each, by item id. */
function responsesFrames(n: number): { event: string; data: string }[] {
  let seq = 0;
  const ev = (type: string, body: object) => ({
    event: type,
    data: JSON.stringify({ type, sequence_number: seq++, ...body }),
  });
  const call = (i: number, args: string, status: string) => ({
    type: "function_call",
    id: `fc_${i}`,
    call_id: `call_${i}`,
    name: "read",
    arguments: args,
    status,
  });
  const response = (status: string) => ({
    id: "resp_1",
    object: "response",
    created_at: 1,
    status,
    model: "m",
    output: [],
    error: null,
    incomplete_details: null,
  });
  const frames = [ev("response.created", { response: response("in_progress") })];
  for (let i = 0; i < n; i++)
    frames.push(
      ev("response.output_item.added", { output_index: i, item: call(i, "", "in_progress") }),
    );
  for (let i = 0; i < n; i++)
    frames.push(
      ev("response.function_call_arguments.delta", {
        item_id: `fc_${i}`,
        output_index: i,
        delta: `{"i":${i}}`,
      }),
    );
  for (let i = 0; i < n; i++)
    frames.push(
      ev("response.output_item.done", {
        output_index: i,
        item: call(i, `{"i":${i}}`, "completed"),
      }),
    );
  frames.push(ev("response.completed", { response: response("completed") }));
  return frames;
}

type Id = keyof typeof FORMATS;

function convert(
  n: number,
  frames: { event?: string; data: string }[] = openaiFrames(n),
  from: Id = "openai",
  to: Id = "anthropic",
): string {
  const ctx = codecContext("g", FORMATS[from]);
  const decoder = FORMATS[from].codec.createStreamDecoder(ctx);
  const encoder = FORMATS[to].codec.createStreamEncoder(ctx, REQ);
  let out = "";
  for (const f of frames) for (const e of decoder.push(f)) out += encoder.push(e);
  for (const e of decoder.end()) out += encoder.push(e);
  return out + encoder.end();
}

describe("streamed tool calls at scale", () => {
  test("OpenAI upstream → Anthropic client: every call arrives with its own arguments", () => {
    const out = convert(3);
    for (let i = 0; i < 3; i++) expect(out).toContain(`"id":"call_${i}"`);
    for (let i = 0; i < 3; i++) expect(out).toContain(JSON.stringify(`{"i":${i}}`));
    expect(out.match(/event: content_block_stop/g)?.length).toBe(3);
  });

  test("OpenAI upstream → Anthropic client: interleaved calls cost linear time", () => {
    const frames = new Map<number, { data: string }[]>([N, N * 8].map((n) => [n, openaiFrames(n)]));
    expect(growth((n) => convert(n, frames.get(n)), N)).toBeLessThan(BOUND);
  });

  test("OpenAI upstream → Responses client: every call is its own item, and the end lists them all", () => {
    const out = convert(3, openaiFrames(3), "openai", "responses");
    for (let i = 0; i < 3; i++) expect(out).toContain(`"call_id":"call_${i}"`);
    expect(out.match(/event: response\.output_item\.done/g)?.length).toBe(3);
    const done = out.slice(out.indexOf("event: response.completed"));
    for (let i = 0; i < 3; i++) expect(done).toContain(`"call_id":"call_${i}"`);
  });

  test("OpenAI upstream → Responses client: interleaved calls cost linear time", () => {
    const frames = new Map<number, { data: string }[]>([N, N * 8].map((n) => [n, openaiFrames(n)]));
    expect(growth((n) => convert(n, frames.get(n), "openai", "responses"), N)).toBeLessThan(BOUND);
  });

  test("Responses upstream → Anthropic client: every call arrives with its own arguments", () => {
    const out = convert(3, responsesFrames(3), "responses", "anthropic");
    for (let i = 0; i < 3; i++) expect(out).toContain(`"id":"call_${i}"`);
    for (let i = 0; i < 3; i++) expect(out).toContain(JSON.stringify(`{"i":${i}}`));
  });

  test("Responses upstream → Anthropic client: interleaved calls cost linear time", () => {
    const frames = new Map([N, N * 8].map((n) => [n, responsesFrames(n)]));
    expect(growth((n) => convert(n, frames.get(n), "responses", "anthropic"), N)).toBeLessThan(
      BOUND,
    );
  });
});
