import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { runBytes, splitAt, SSE_FIXTURES, usageTranscoder } from "./usage-kit";

/**
 * An OpenAI Chat stream whose usage the router asked for (`stream_options.include_usage`) when its
 * client did not: the usage-only chunk (`choices: []` with `usage`) is read and then taken out
 * with its blank line, so the client gets the events it would have got; the usage is reported
 * all the same. A client that asked gets the chunk unchanged.
 */

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

/** The stream without its usage-only chunks: what an upstream sends a client that did not ask. */
function withoutUsageChunks(sse: string): string {
  return sse
    .split(/(?<=\n\n)/)
    .filter((event) => {
      const data = /^data: ?(\{.*\})\s*$/s.exec(event)?.[1];
      if (!data) return true;
      const chunk = JSON.parse(data);
      return !(Array.isArray(chunk.choices) && chunk.choices.length === 0 && chunk.usage);
    })
    .join("");
}

const WITH_USAGE_CHUNK = SSE_FIXTURES.filter(
  (f) => f.format === "openai" && withoutUsageChunks(text(f.bytes)) !== text(f.bytes),
);

test("the fixtures hold usage-only chunks to drop", () => {
  expect(WITH_USAGE_CHUNK.length).toBeGreaterThanOrEqual(5);
});

describe("a client that did not ask never sees the usage-only chunk", () => {
  for (const f of WITH_USAGE_CHUNK) {
    test(`${f.file}`, () => {
      const asked = runBytes(usageTranscoder("openai"), [f.bytes]);
      const expected = runBytes(usageTranscoder("openai", { usage: false }), [
        bytes(withoutUsageChunks(text(f.bytes))),
      ]);
      const dropped = runBytes(usageTranscoder("openai", { dropExtra: true }), [f.bytes]);
      expect(dropped.out.toString()).toBe(expected.out.toString());
      expect(dropped.usage).toBeDefined();
      expect(dropped.usage).toEqual(asked.usage);
      // The client that asked: every byte as the upstream sent it (the model names the group).
      const unread = runBytes(usageTranscoder("openai", { usage: false }), [f.bytes]);
      expect(asked.out.equals(unread.out)).toBe(true);
      expect(asked.out.toString()).toContain('"choices":[]');
    });

    test(`${f.file}: any byte split drops the same bytes`, () => {
      const whole = runBytes(usageTranscoder("openai", { dropExtra: true }), [f.bytes]);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: f.bytes.length }), { maxLength: 30 }), (cuts) => {
          const split = runBytes(
            usageTranscoder("openai", { dropExtra: true }),
            splitAt(f.bytes, cuts),
          );
          expect(split.out.toString()).toBe(whole.out.toString());
          expect(split.usage).toEqual(whole.usage);
        }),
        { numRuns: 80 },
      );
    });
  }
});

describe("framing around the dropped chunk", () => {
  const finish =
    'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}';
  const usage =
    'data: {"id":"c","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}';
  const want = { input: 5, cacheRead: 0, cacheWrite: 0, output: 2 };

  const cases: [string, string, string][] = [
    ["LF", `${finish}\n\n${usage}\n\ndata: [DONE]\n\n`, `${finish}\n\ndata: [DONE]\n\n`],
    [
      "CRLF",
      `${finish}\r\n\r\n${usage}\r\n\r\ndata: [DONE]\r\n\r\n`,
      `${finish}\r\n\r\ndata: [DONE]\r\n\r\n`,
    ],
    ["closed after the chunk, no [DONE]", `${finish}\n\n${usage}\n\n`, `${finish}\n\n`],
    ["closed inside the chunk's blank line", `${finish}\n\n${usage}\n`, `${finish}\n\n`],
    ["closed without a line end", `${finish}\n\n${usage}`, `${finish}\n\n`],
  ];
  for (const [name, stream, expected] of cases) {
    test(name, () => {
      const input = bytes(stream);
      for (let cut = 0; cut <= input.length; cut++) {
        const r = runBytes(usageTranscoder("openai", { dropExtra: true }), splitAt(input, [cut]));
        expect(r.out.toString()).toBe(expected);
        expect(r.usage).toEqual(want);
      }
    });
  }

  test("usage on a chunk that has choices stays: the client gets its content", () => {
    const both =
      'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\ndata: [DONE]\n\n';
    const r = runBytes(usageTranscoder("openai", { dropExtra: true }), [bytes(both)]);
    expect(r.out.toString()).toBe(both);
    expect(r.usage).toEqual({ input: 1, cacheRead: 0, cacheWrite: 0, output: 1 });
  });
});
