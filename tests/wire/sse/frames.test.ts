import { expect, test } from "bun:test";
import fc from "fast-check";
import type { StreamFrame } from "../../../src/wire/codec";
import { RAW_TAIL, sseFrameStream } from "../../../src/wire/sse/frames";

async function frames(chunks: string[]): Promise<StreamFrame[]> {
  const src = new ReadableStream<string>({
    start(c) {
      chunks.forEach((x) => c.enqueue(x));
      c.close();
    },
  });
  return Array.fromAsync(src.pipeThrough(sseFrameStream()));
}

const wire =
  `: OPENROUTER PROCESSING\n\n` +
  `event: message_start\ndata: {"a":1}\n\n` +
  `data: {"b":2}\r\n\r\n` +
  `data: line1\ndata: line2\n\n` +
  `data: [DONE]\n\n`;
const want: StreamFrame[] = [
  { event: "message_start", data: `{"a":1}` },
  { data: `{"b":2}` },
  { data: "line1\nline2" },
  { data: "[DONE]" },
];

test("frames: comments skipped, CRLF and multi-line data handled", async () => {
  expect(await frames([wire])).toEqual(want);
});

test("any split of the text yields the same frames", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: wire.length }), { maxLength: 6 }),
      async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const parts = [0, ...points, wire.length]
          .slice(1)
          .map((end, i, all) => wire.slice(i === 0 ? 0 : all[i - 1], end));
        expect(await frames(parts)).toEqual(want);
      },
    ),
  );
});

test("a bare JSON error after the frames comes out as one raw tail frame", async () => {
  const out = await frames([`data: {"x":1}\r\n\r\n`, `{\n  "error": {\n    "code": 503\n  }\n}\n`]);
  expect(out[0]).toEqual({ data: `{"x":1}` });
  expect(out[1]!.event).toBe(RAW_TAIL);
  expect(JSON.parse(out[1]!.data)).toEqual({ error: { code: 503 } });
});

test("a last event without its blank line still arrives", async () => {
  expect(await frames([`data: {"z":1}`])).toEqual([{ data: `{"z":1}` }]);
});

test("an unframed error split across reads, or without a final newline, is still found", async () => {
  for (const chunks of [
    [`data: {"x":1}\r\n\r\n{"error": {"co`, `de": 503}}`],
    [`data: {"x":1}\r\n\r\n{"err`, `or": {"code": 503}}\n`],
    [`data: {"x":1}\r\n\r\n`, `{`, `"error": {"code": 503}}`],
  ]) {
    const out = await frames(chunks);
    expect(out[1]).toEqual({ event: RAW_TAIL, data: `{"error": {"code": 503}}` });
  }
});

test("SSE lines split anywhere never leak into the raw tail", async () => {
  const out = await frames([
    `da`,
    `ta: {"a":1}\n`,
    `\nev`,
    `ent: x\nda`,
    `ta`,
    `: 2\n\n: comm`,
    `ent\n\n`,
  ]);
  expect(out).toEqual([{ data: `{"a":1}` }, { event: "x", data: "2" }]);
});
