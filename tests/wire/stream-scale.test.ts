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

function convert(n: number, frames = openaiFrames(n)): string {
  const ctx = codecContext("g", FORMATS.openai);
  const decoder = FORMATS.openai.codec.createStreamDecoder(ctx);
  const encoder = FORMATS.anthropic.codec.createStreamEncoder(ctx, REQ);
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
});
