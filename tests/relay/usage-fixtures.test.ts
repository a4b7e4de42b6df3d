import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isRouterError } from "../../src/ir";
import { codecContext, FORMATS } from "../../src/wire";
import {
  ARRAY_FIXTURES,
  arrayAsSse,
  convertedUsage,
  JSON_FIXTURES,
  runBytes,
  SPENT_ON_FAILURE,
  splitAt,
  SSE_FIXTURES,
  usageTranscoder,
} from "./usage-kit";

/**
 * Passthrough reads an answer's usage off the bytes it forwards, by each format's own decodeUsage:
 * for every recorded answer it reports what conversion reports for the same upstream bytes, and
 * the bytes go through unchanged.
 */

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("SSE streams: passthrough reads the usage conversion decodes", () => {
  for (const f of SSE_FIXTURES) {
    test(`${f.file}`, () => {
      const spent = SPENT_ON_FAILURE[f.file];
      const expected = spent ?? convertedUsage(f.format, text(f.bytes));
      if (spent) expect(convertedUsage(f.format, text(f.bytes))).toBeUndefined();
      const { out, usage } = runBytes(usageTranscoder(f.format), [f.bytes]);
      expect(usage).toEqual(expected);
      // The editor names the group instead of the model; nothing else changes.
      const unread = runBytes(usageTranscoder(f.format, { usage: false }), [f.bytes]);
      expect(out.equals(unread.out)).toBe(true);
    });
  }

  test("only the streams that state no usage give none (the comparison is not of two undefineds)", () => {
    const none = SSE_FIXTURES.filter((f) => !runBytes(usageTranscoder(f.format), [f.bytes]).usage);
    expect(none.map((f) => f.file).sort()).toEqual([
      // OpenAI streams of clients that did not ask (no `stream_options.include_usage`)
      "openai-compatible/anthropic-compat-tool-call-stream.sse",
      "openai-compatible/groq-tool-use-failed-midstream-error.sse",
      "openai-compatible/vllm-length-stream.sse",
      "openai/tool-call-parallel-stream.sse",
      // Failed responses whose `usage` is null
      "responses/failed-stream.sse",
      "responses/vercel-error-insufficient-quota-stream.sse",
    ]);
  });
});

describe("Gemini's streamed JSON array: every element's usageMetadata, last wins", () => {
  for (const f of ARRAY_FIXTURES) {
    test(`${f.file}`, () => {
      const expected = convertedUsage("gemini", arrayAsSse(text(f.bytes)));
      const t = usageTranscoder("gemini", { sse: false });
      const { usage } = runBytes(t, [f.bytes]);
      expect(expected).toBeDefined();
      expect(usage).toEqual(expected);
    });
  }
});

describe("whole answers: the parsed body's usage, as decodeResponse reports it", () => {
  for (const f of JSON_FIXTURES) {
    test(`${f.file}`, () => {
      const format = FORMATS[f.format];
      const json: unknown = JSON.parse(text(f.bytes));
      const decoded = format.codec.decodeResponse(json, codecContext("g", format));
      const spent = SPENT_ON_FAILURE[f.file];
      if (spent) {
        expect(isRouterError(decoded)).toBe(true);
        expect(format.usage.answer(json)).toEqual(spent);
        return;
      }
      if (isRouterError(decoded)) throw decoded;
      expect(format.usage.answer(json)).toEqual(decoded.usage);
    });
  }
});

describe("any byte split of a stream yields the same usage", () => {
  const cases = [...SSE_FIXTURES, ...ARRAY_FIXTURES.map((f) => ({ ...f, array: true }))];
  for (const f of cases) {
    const sse = !("array" in f);
    test(`${f.file}`, () => {
      const whole = runBytes(usageTranscoder(f.format, { sse }), [f.bytes]);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: f.bytes.length }), { maxLength: 40 }), (cuts) => {
          const split = runBytes(usageTranscoder(f.format, { sse }), splitAt(f.bytes, cuts));
          expect(split.usage).toEqual(whole.usage);
          expect(split.out.equals(whole.out)).toBe(true);
        }),
        { numRuns: 60 },
      );
      // One byte per read: every line and key is cut everywhere at once.
      const bytewise = [...f.bytes].map((b) => Uint8Array.of(b));
      expect(runBytes(usageTranscoder(f.format, { sse }), bytewise).usage).toEqual(whole.usage);
    });
  }
});

describe("a stream request answered with one JSON document", () => {
  for (const f of JSON_FIXTURES.filter((x) => x.format !== "gemini" && !SPENT_ON_FAILURE[x.file])) {
    test(`${f.file}: read whole at its end`, () => {
      const json: unknown = JSON.parse(text(f.bytes));
      const { usage } = runBytes(
        usageTranscoder(f.format, { sse: false }),
        splitAt(f.bytes, [7, 300]),
      );
      expect(usage).toEqual(FORMATS[f.format].usage.answer(json));
    });
  }
});
