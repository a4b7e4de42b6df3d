import { describe, expect, test } from "bun:test";
import { clearMergeCache, countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { countText, estimateInputTokens } from "../../src/attempt/estimate";
import type { IRRequest } from "../../src/ir";
import { growth } from "../wire/scale";

/** The local token estimate (count_tokens to OpenAI-type upstreams): exact on ordinary text, linear on any. */

const asText = { disallowedSpecial: new Set<string>() };
const count = (s: string) => countTokens(s, asText);
const request = (text: string): IRRequest => ({
  model: "g",
  system: [],
  messages: [{ role: "user", parts: [{ type: "text", text }] }],
  tools: [],
  stream: false,
});

let seed = 1;
const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff);
const letters = (n: number) =>
  Array.from({ length: n }, () => String.fromCharCode(97 + (next() % 26))).join("");
const PROSE =
  "Conversion warnings are logged and counted; the router never drops a field silently. Tool results follow their calls. ";
const CODE =
  'export function handle(req: Request): Response {\n  const url = new URL(req.url);\n  if (url.pathname === "/health") return new Response("ok");\n  return Response.json({ error: { message: `no route for ${url.pathname}` } }, { status: 404 });\n}\n';

describe("ordinary text is counted exactly", () => {
  test.each([
    ["prose", PROSE.repeat(1000)],
    ["code", CODE.repeat(500)],
    [
      "JSON",
      JSON.stringify(
        Array.from({ length: 1200 }, (_, i) => ({
          id: `call_${i}`,
          name: "read_file",
          args: { path: `/src/file${i}.ts`, lines: [i, i + 40] },
        })),
      ),
    ],
  ])("%s", (_name, text) => {
    expect(text.length).toBeLessThan(128 * 1024);
    expect(countText(text, count)).toBe(count(text));
  });

  test("Chinese prose with its punctuation", () => {
    let text = "";
    while (text.length < 100_000)
      text +=
        Array.from({ length: 8 + (next() % 60) }, () =>
          String.fromCharCode(0x4e00 + (next() % 3000)),
        ).join("") + "，。、「」！？"[next() % 7];
    expect(countText(text, count)).toBe(count(text));
  });

  test("a request's estimate is its text's tokens plus framing", async () => {
    expect(await estimateInputTokens(request(PROSE))).toBe(count(PROSE) + 4);
  });

  test("names of special tokens in a client's text are counted as text, not refused", async () => {
    const text = "the model wrote <|endoftext|> and <|im_start|> here";
    expect(await estimateInputTokens(request(text))).toBe(count(text) + 4);
  });
});

describe("any text costs time linear in its length", () => {
  // One run of letters is one piece for the tokenizer, whose merges cost its length squared:
  // 100 KB of them took 19 s, 400 KB five minutes. (Random text: a repeated one hits its cache.)
  const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  test.each([
    ["letters without a space", (n: number) => letters(n)],
    [
      "punctuation without a space",
      (n: number) =>
        Array.from({ length: n }, () => PUNCTUATION[next() % PUNCTUATION.length]).join(""),
    ],
    [
      "Chinese without punctuation",
      (n: number) =>
        Array.from({ length: n }, () => String.fromCharCode(0x4e00 + (next() % 2000))).join(""),
    ],
  ])("%s: 16k and 128k characters", (_name, make) => {
    const n = 16 * 1024;
    const texts = new Map([n, 8 * n].map((size) => [size, make(size)]));
    // The tokenizer caches pieces it has seen: each run starts cold, the worst case.
    const ratio = growth((size) => {
      clearMergeCache();
      countText(texts.get(size)!, count);
    }, n);
    expect(ratio).toBeLessThan(24);
  });

  test.each([
    ["random letters", () => letters(100_000).repeat(32), 0.45, 0.6],
    ["one letter", () => "a".repeat(3_200_000), 0.1, 0.15],
    ["spaces", () => " ".repeat(3_200_000), 0, 0.05],
    ["one punctuation mark", () => "=".repeat(3_200_000), 0, 0.1],
  ])(
    "3.2 MB of %s without a break is estimated in well under the time one long run took",
    async (_name, make, low, high) => {
      const text = make();
      const started = performance.now();
      const tokens = await estimateInputTokens(request(text));
      expect(performance.now() - started).toBeLessThan(3000);
      expect(tokens / text.length).toBeGreaterThan(low);
      expect(tokens / text.length).toBeLessThan(high);
    },
  );

  test("past 128 Ki characters, evenly spaced samples stay within 2% of the exact count", () => {
    const text = (PROSE + CODE).repeat(3000);
    expect(text.length).toBeGreaterThan(1_000_000);
    const exact = count(text);
    expect(Math.abs(countText(text, count) - exact) / exact).toBeLessThan(0.02);
  });
});
