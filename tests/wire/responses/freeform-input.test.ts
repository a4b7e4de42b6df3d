import { expect, test } from "bun:test";
import fc from "fast-check";
import { FreeformText } from "../../../src/wire/responses/freeform-input";

/** Feeds `raw` in the given pieces; what streamed, and what the end adds. */
function read(pieces: string[]) {
  const reader = new FreeformText();
  const deltas = pieces.map((p) => reader.push(p)).filter((d) => d !== "");
  const { input, rest } = reader.finish(pieces.join(""));
  return { deltas, input, streamed: deltas.join("") + rest };
}

/** `text` cut at the given positions. */
const cut = (text: string, at: number[]) => {
  const points = [...new Set(at.map((n) => n % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((p, i) => text.slice(p, points[i] ?? text.length));
};

const lone = (s: string) =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

test("any cut of {input} JSON streams exactly its text, never half a character", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme" }),
      fc.constantFrom("", " ", "\n  "),
      fc.array(fc.nat(), { maxLength: 12 }),
      (text, space, at) => {
        const raw = `${space}{${space}"input"${space}:${space}${JSON.stringify(text)}${space}}`;
        const { deltas, input, streamed } = read(cut(raw, at));
        expect(input).toBe(text);
        expect(streamed).toBe(text);
        for (const d of deltas) expect(lone(d)).toBe(false);
      },
    ),
    { numRuns: 500 },
  );
});

test("escapes cut anywhere: \\uXXXX split, a surrogate pair split between escapes", () => {
  const raw = '{"input":"a\\u00e9\\ud83d\\ude00\\n\\"q\\""}';
  for (let i = 1; i < raw.length; i++) {
    const { deltas, streamed } = read([raw.slice(0, i), raw.slice(i)]);
    expect(streamed).toBe('aé😀\n"q"');
    for (const d of deltas) expect(lone(d)).toBe(false);
  }
});

test("text goes out as it comes, before the JSON is whole", () => {
  const reader = new FreeformText();
  expect(reader.push('{"inp')).toBe("");
  expect(reader.push('ut":"*** Begin')).toBe("*** Begin");
  expect(reader.push(" Patch")).toBe(" Patch");
});

test("other shapes are not guessed at: the parsed text goes out at the end", () => {
  expect(read(['{"path":"a","input":"b"}'])).toEqual({ deltas: [], input: "b", streamed: "b" });
  expect(read(['{"input":{"x":1}}']).input).toBe('{"input":{"x":1}}');
});

test("arguments cut before their end keep the text read so far", () => {
  expect(read(['{"input":"half a pa']).input).toBe("half a pa");
  expect(read(["not json"]).input).toBe("not json");
});
