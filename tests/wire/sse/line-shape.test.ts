import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { JsonStringRewriter } from "../../../src/wire/json/string-rewriter";
import { SseDataEditor, type SseEditRule } from "../../../src/wire/sse/data-rewriter";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Streams `input` through one editor in chunks of the given sizes (cycled). */
function edit(rule: SseEditRule, input: string, sizes: number[] = [1 << 20]): string {
  const bytes = enc.encode(input);
  const editor = new SseDataEditor(rule, "grp");
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(editor.push(bytes.slice(at, at + size)));
    at += size;
  }
  out.push(editor.end());
  return dec.decode(Buffer.concat(out));
}

/** The same edit with every line walked: a fresh editor per line, so no shape carries over. */
function walked(rule: SseEditRule, input: string): string {
  return input
    .split(/(?<=\n)/)
    .map((line) => dec.decode(new SseDataEditor(rule, "grp").push(enc.encode(line))))
    .join("");
}

const realLocate = JsonStringRewriter.prototype.locate;
let walks = 0;
function countWalks(): void {
  walks = 0;
  JsonStringRewriter.prototype.locate = function (
    this: JsonStringRewriter,
    ...args: Parameters<JsonStringRewriter["locate"]>
  ) {
    walks++;
    return realLocate.apply(this, args);
  };
}
afterEach(() => {
  JsonStringRewriter.prototype.locate = realLocate;
});

const gemini = (text: string, n: number) =>
  `data: {"candidates": [{"content": {"parts": [{"text": ${JSON.stringify(text)}}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": ${n},"totalTokenCount": ${9 + n}},"modelVersion": "gemini-2.5-flash","responseId": "r-1"}\r\n\r\n`;
const openai = (text: string) =>
  `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024","choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"finish_reason":null}],"obfuscation":"x${text.length}"}\n\n`;

describe("SseDataEditor: lines shaped like the last one walked", () => {
  test("a Gemini stream is walked once: the rest end the same way from the key on", () => {
    const input = Array.from({ length: 50 }, (_, i) => gemini(`tok ${i} "q" \\ é`, i + 1)).join("");
    countWalks();
    const out = edit({ path: ["modelVersion"] }, input);
    expect(walks).toBe(1);
    expect(out).toBe(
      input.replaceAll('"modelVersion": "gemini-2.5-flash"', '"modelVersion": "grp"'),
    );
  });

  test("an OpenAI stream is walked once: the rest start the same way up to the value", () => {
    const input =
      Array.from({ length: 50 }, (_, i) => openai(`tok ${i}`)).join("") + "data: [DONE]\n\n";
    countWalks();
    const out = edit({ path: ["model"] }, input);
    expect(walks).toBe(1);
    expect(out).toBe(input.replaceAll('"model":"gpt-4o-2024"', '"model":"grp"'));
  });

  test("a value whose length changes keeps the shape that starts the same way", () => {
    const line = (m: string, t: string) =>
      `data: {"id":"c","model":${JSON.stringify(m)},"choices":[{"delta":{"content":"${t}"}}]}\n\n`;
    const input = line("gpt-4o", "a") + line("gpt-4o-mini-2024", "b") + line('x\\"y', "c");
    const want = walked({ path: ["model"] }, input);
    countWalks();
    expect(edit({ path: ["model"] }, input)).toBe(want);
    expect(walks).toBe(1);
  });

  test("a line whose key text sits earlier in it (a value that is the key's name) is walked, and edited right", () => {
    const line = (text: string) => `data: {"text":${JSON.stringify(text)},"modelVersion":"m"}\n\n`;
    const input = line("a") + line("modelVersion") + line("b");
    const out = edit({ path: ["modelVersion"] }, input);
    expect(out).toBe(walked({ path: ["modelVersion"] }, input));
    expect(
      out
        .split("\n\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l.slice(6))),
    ).toEqual([
      { text: "a", modelVersion: "grp" },
      { text: "modelVersion", modelVersion: "grp" },
      { text: "b", modelVersion: "grp" },
    ]);
  });

  test("a nested key of the same name that ends a line like the learnt one is left alone", () => {
    const input =
      `data: {"x":"1","model":"m"}\n\n` +
      `data: {"nest":{"y":2,"model":"m"}}\n\n` +
      `data: {"x":"2","model":"m"}\n\n`;
    expect(edit({ path: ["model"] }, input)).toBe(
      `data: {"x":"1","model":"grp"}\n\n` +
        `data: {"nest":{"y":2,"model":"m"}}\n\n` +
        `data: {"x":"2","model":"grp"}\n\n`,
    );
  });

  test("a key after an escaped quote is not the key (it ends a longer key)", () => {
    const input = `data: {"a":"1","modelVersion":"m"}\n\n` + `data: {"a\\"modelVersion":"m"}\n\n`;
    // The second line's only occurrence of the quoted name follows a backslash: walked, nothing to edit.
    expect(edit({ path: ["modelVersion"] }, input)).toBe(
      `data: {"a":"1","modelVersion":"grp"}\n\n` + `data: {"a\\"modelVersion":"m"}\n\n`,
    );
  });

  test("a line that starts the same way but holds no string at the key is walked, and left as it is", () => {
    const input =
      `data: {"k":1,"model":"m"}\n\n` +
      `data: {"k":1,"model":{"x":"y"}}\n\n` +
      `data: {"k":1,"model": "m2"}\n\n`;
    expect(edit({ path: ["model"] }, input)).toBe(
      `data: {"k":1,"model":"grp"}\n\n` +
        `data: {"k":1,"model":{"x":"y"}}\n\n` +
        `data: {"k":1,"model": "grp"}\n\n`,
    );
  });

  test("a nested path is never matched by how a line ends: its parents' names are not in that end", () => {
    const rule = { path: ["message", "model"] };
    const input = `data: {"message":{"model":"m"}}\n\n` + `data: {"other":{"model":"m"}}\n\n`;
    expect(edit(rule, input)).toBe(
      `data: {"message":{"model":"grp"}}\n\n` + `data: {"other":{"model":"m"}}\n\n`,
    );
  });

  test("a line too long around its key to keep is walked every time, and edited right", () => {
    const big = "x".repeat(5000);
    const line = (i: number) => `data: {"text":"${big}${i}","model":"m","more":"${big}"}\n\n`;
    const input = line(1) + line(2) + line(3);
    const want = walked({ path: ["model"] }, input);
    countWalks();
    expect(edit({ path: ["model"] }, input)).toBe(want);
    expect(walks).toBe(3);
    expect(want).toBe(input.replaceAll('"model":"m"', '"model":"grp"'));
  });

  /** Lines built from a few shapes, so that shapes repeat, with adversarial text in them. */
  const text = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom("model", "modelVersion", '"model":"m"', "\\", '\\"', "é✓", ""),
  );
  const line = fc.record({
    shape: fc.integer({ min: 0, max: 5 }),
    text,
    model: fc.constantFrom("m", "m", "other"),
    id: fc.constantFrom("a", "a", "b"),
  });
  function render(
    key: string,
    l: { shape: number; text: string; model: string; id: string },
  ): string {
    const t = JSON.stringify(l.text);
    const m = JSON.stringify(l.model);
    switch (l.shape) {
      case 0: // the key after varying text (Gemini)
        return `{"parts":[{"text":${t}}],"${key}":${m},"id":"${l.id}"}`;
      case 1: // the key before varying text (OpenAI)
        return `{"id":"${l.id}","${key}":${m},"delta":{"content":${t}}}`;
      case 2: // the same name nested, and at the top
        return `{"args":{"${key}":${m}},"text":${t},"${key}":${m}}`;
      case 3: // only nested
        return `{"args":{"${key}":${m},"text":${t}}}`;
      case 4: // the top-level key twice: the first is the one edited
        return `{"${key}":${m},"t":${t},"${key}":${m}}`;
      default: // spaced, the name as a value first
        return `{ "v": "${key}", "text": ${t}, "${key}": ${m} }`;
    }
  }

  for (const key of ["model", "modelVersion"]) {
    test(`any stream is edited exactly as walking every line would (${key}, property)`, () => {
      fc.assert(
        fc.property(
          fc.array(line, { minLength: 1, maxLength: 12 }),
          fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }),
          fc.boolean(),
          (lines, sizes, crlf) => {
            const eol = crlf ? "\r\n" : "\n";
            const input = lines.map((l) => `data: ${render(key, l)}${eol}${eol}`).join("");
            const rule = { path: [key] };
            const want = walked(rule, input);
            expect(edit(rule, input)).toBe(want);
            expect(edit(rule, input, sizes)).toBe(want);
          },
        ),
        { numRuns: 2000, seed: 11 },
      );
    });
  }
});

describe("SseDataEditor on recorded streams", () => {
  const FIXTURES = join(import.meta.dir, "../../fixtures");
  const recorded = [
    ...["openai", "openai-compatible"].flatMap((dir) =>
      readdirSync(join(FIXTURES, dir))
        .filter((f) => f.endsWith(".sse") && !f.startsWith("anthropic-compat"))
        .map((f) => [dir, f, ["model"]] as const),
    ),
    ...readdirSync(join(FIXTURES, "gemini"))
      .filter((f) => f.endsWith(".sse"))
      .map((f) => ["gemini", f, ["modelVersion"]] as const),
  ];
  for (const [dir, file, path] of recorded) {
    test(`${dir}/${file}: edited exactly as walking every line would, in any chunking`, () => {
      const input = readFileSync(join(FIXTURES, dir, file), "utf8");
      const want = walked({ path }, input);
      expect(want).not.toBe(input); // the recording names a model: there is something to edit
      expect(edit({ path }, input)).toBe(want);
      expect(edit({ path }, input, [97, 13, 512])).toBe(want);
    });
  }

  test("recorded Gemini and OpenAI streams are walked once, whatever their lines carry", () => {
    for (const [file, key] of [
      ["gemini/thinking-stream.sse", "modelVersion"],
      ["openai/text-stream.sse", "model"],
    ] as const) {
      const input = readFileSync(join(FIXTURES, file), "utf8");
      countWalks();
      edit({ path: [key] }, input);
      expect(walks).toBe(1);
    }
  });
});
