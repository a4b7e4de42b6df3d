import { describe, expect, test } from "bun:test";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { roughInputTokens } from "../../src/teams";

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const PROSE =
  "The router admits a request under its key's limits before anything goes upstream, and corrects the reservation when the answer reports its usage. ";

describe("roughInputTokens: the size admission assumes", () => {
  test("a chat in English: at least the tokenizer's count, and less than twice it", () => {
    const text = PROSE.repeat(200);
    const body = bytes({ model: "g", messages: [{ role: "user", content: text }] });
    const exact = countTokens(text);
    const rough = roughInputTokens(body);
    expect(rough).toBeGreaterThanOrEqual(exact);
    expect(rough).toBeLessThan(2 * exact);
  });

  test("base64 media count a flat amount each, in every format's spelling", () => {
    const png = "iVBORw0KGgo".padEnd(1_000_000, "A");
    const openai = bytes({
      messages: [
        {
          role: "user",
          content: [{ type: "image_url", image_url: { url: `data:image/png;base64,${png}` } }],
        },
      ],
    });
    const anthropic = bytes({
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: png } },
          ],
        },
      ],
    });
    const gemini = bytes({
      contents: [
        {
          parts: [
            { inlineData: { mimeType: "image/png", data: png } },
            { inlineData: { mimeType: "image/png", data: png } },
          ],
        },
      ],
    });
    for (const [body, images] of [
      [openai, 1],
      [anthropic, 1],
      [gemini, 2],
    ] as const) {
      const rough = roughInputTokens(body);
      expect(rough).toBeGreaterThanOrEqual(images * 1500);
      expect(rough).toBeLessThan(images * 1500 + 100);
    }
    // A short `data` string is text, counted by its size.
    expect(roughInputTokens(bytes({ data: "x".repeat(400) }))).toBeGreaterThan(100);
  });

  test("linear in the body, hostile ones included: 50 MB of text, and 1 M media marks", () => {
    const time = (body: Uint8Array) => {
      const start = performance.now();
      roughInputTokens(body);
      return performance.now() - start;
    };
    const big = new TextEncoder().encode("a".repeat(50 * 1024 * 1024));
    const small = new TextEncoder().encode("a".repeat(5 * 1024 * 1024));
    time(small);
    const ratio = time(big) / Math.max(time(small), 0.05);
    expect(ratio).toBeLessThan(30); // linear would be about 10; quadratic about 100
    const marks = new TextEncoder().encode('"data":"x",'.repeat(1_000_000));
    expect(time(marks)).toBeLessThan(2000);
    expect(roughInputTokens(marks)).toBe(Math.ceil(marks.length / 4));
  });
});
