import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { FrameTemplate, type HolePath } from "../../src/wire/json/frame-template";

/** An OpenAI chunk as api.openai.com writes it: the text, then a random padding string. */
const chunk = (text: string, padding = "Xy3") => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1770747154,
  model: "gpt-4.1",
  choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }],
  usage: null,
  obfuscation: padding,
});
const TEXT: HolePath = ["choices", 0, "delta", "content"];
const PAD: HolePath = ["obfuscation"];

function learnt(holes: HolePath[] = [TEXT, PAD]): FrameTemplate {
  const first = chunk("Hello");
  const template = FrameTemplate.learn(JSON.stringify(first), first, holes);
  if (!template) throw new Error("no template");
  return template;
}

describe("FrameTemplate", () => {
  test("reads the holes of frames that differ only there, in the caller's order", () => {
    expect(learnt().match(JSON.stringify(chunk(" world", "abcdefgh")))).toEqual([
      " world",
      "abcdefgh",
    ]);
    expect(learnt([PAD, TEXT]).match(JSON.stringify(chunk("!", "q")))).toEqual(["q", "!"]);
    expect(learnt().match(JSON.stringify(chunk("", "")))).toEqual(["", ""]);
  });

  test("escaped text comes out as JSON.parse gives it", () => {
    for (const text of [
      'say "hi"',
      "back\\slash",
      "line\nbreak",
      "tab\t",
      "\u0001",
      "é ü 中文 🎉",
      "\\",
      '\\"',
      "\ud800",
    ]) {
      expect(learnt().match(JSON.stringify(chunk(text)))).toEqual([text, "Xy3"]);
    }
    // Escapes JSON.stringify would not write are still valid JSON strings.
    expect(learnt().match(JSON.stringify(chunk("?")).replace('"?"', '"\\u00e9\\/"'))).toEqual([
      "é/",
      "Xy3",
    ]);
  });

  test("a frame that differs anywhere but in the holes is not matched", () => {
    const t = learnt();
    const good = JSON.stringify(chunk("tok"));
    for (const bad of [
      good.replace('"index":0', '"index":1'),
      good.replace("chatcmpl-1", "chatcmpl-2"),
      good.replace('"finish_reason":null', '"finish_reason":"stop"'),
      good.replace('"usage":null', '"usage":{"total_tokens":3}'),
      good + " ",
      " " + good,
      good.slice(0, -1),
      good.replace('"content":"tok"', '"content":1'),
      good.replace('"content":"tok"', '"content":"tok","refusal":"x"'),
    ]) {
      expect(t.match(bad)).toBeUndefined();
    }
  });

  test("an invalid string in a hole is left to the full parse", () => {
    const t = learnt();
    const good = JSON.stringify(chunk("tok"));
    expect(t.match(good.replace('"tok"', '"t\tok"'))).toBeUndefined(); // raw control character
    expect(t.match(good.replace('"tok"', '"t\\qok"'))).toBeUndefined(); // unknown escape
    expect(t.match(good.replace('"tok"', '"tok\\"'))).toBeUndefined(); // escaped closing quote
    expect(t.match(good.replace('"tok"', '"\\u12"'))).toBeUndefined();
  });

  test("keeps the upstream's own whitespace: a spaced stream matches spaced frames only", () => {
    const value = chunk("Hello");
    const spaced = (v: object) => JSON.stringify(v, null, 1);
    const t = FrameTemplate.learn(spaced(value), value, [TEXT, PAD]);
    expect(t?.match(spaced(chunk("more", "pp")))).toEqual(["more", "pp"]);
    expect(t?.match(JSON.stringify(chunk("more", "pp")))).toBeUndefined();
    // Gemini's own style: a space after every colon.
    const gemini = (v: object) => JSON.stringify(v).replaceAll('":', '": ');
    expect(FrameTemplate.learn(gemini(value), value, [TEXT])?.match(gemini(chunk("x")))).toEqual([
      "x",
    ]);
  });

  test("gets no template where a hole cannot be proven", () => {
    const value = chunk("Hello");
    const text = JSON.stringify(value);
    // The path does not lead to a string.
    expect(FrameTemplate.learn(text, value, [["usage"]])).toBeUndefined();
    expect(FrameTemplate.learn(text, value, [["choices", 3, "delta", "content"]])).toBeUndefined();
    expect(FrameTemplate.learn(text, value, [["nothing", "here"]])).toBeUndefined();
    // The text holds the hole's string twice.
    const twice = chunk("chatcmpl-1");
    expect(FrameTemplate.learn(JSON.stringify(twice), twice, [TEXT])).toBeUndefined();
    // The hole is written with other escapes, and its plain form stands elsewhere: the proof fails.
    const escaped = text
      .replace('"content":"Hello"', '"content":"\\u0048ello"')
      .replace('"Xy3"', '"Hello"');
    const parsed = JSON.parse(escaped);
    expect(parsed.choices[0].delta.content).toBe("Hello");
    expect(FrameTemplate.learn(escaped, parsed, [TEXT])).toBeUndefined();
    // Not JSON around the hole.
    expect(FrameTemplate.learn('x"Hello"', value, [TEXT])).toBeUndefined();
    expect(value).toEqual(chunk("Hello")); // left as it was
  });

  test("a count hole reads JSON digits and nothing else", () => {
    const value = chunk("Hello");
    const t = FrameTemplate.learn(JSON.stringify(value), value, [TEXT, ["created"]]);
    const withCreated = (n: string) => JSON.stringify(chunk("x")).replace("1770747154", n);
    expect(t?.match(withCreated("0"))).toEqual(["x", "0"]);
    expect(t?.match(withCreated("12345678901234567890"))).toEqual(["x", "12345678901234567890"]);
    for (const bad of ["-1", "1.5", "01", "1e3", '"7"', "", "null"])
      expect(t?.match(withCreated(bad))).toBeUndefined();
    // Only whole non-negative integers are counts.
    expect(FrameTemplate.learn(JSON.stringify({ n: 1.5 }), { n: 1.5 }, [["n"]])).toBeUndefined();
    expect(FrameTemplate.learn(JSON.stringify({ n: -2 }), { n: -2 }, [["n"]])).toBeUndefined();
    // A count is found as a number of its own, never inside a longer one; twice is ambiguous.
    expect(
      FrameTemplate.learn('{"a":134,"n":34}', { a: 134, n: 34 }, [["n"]])?.match('{"a":134,"n":7}'),
    ).toEqual(["7"]);
    expect(FrameTemplate.learn('{"a":34,"n":34}', { a: 34, n: 34 }, [["n"]])).toBeUndefined();
  });

  test("with a key written twice, the hole is the one JSON.parse keeps", () => {
    const text = '{"a":"first","a":"second"}';
    const t = FrameTemplate.learn(text, JSON.parse(text), [["a"]]);
    expect(t?.match('{"a":"first","a":"third"}')).toEqual(["third"]);
    expect(t?.match('{"a":"other","a":"third"}')).toBeUndefined();
    // A caller that claims the overridden value gets no template.
    expect(FrameTemplate.learn(text, { a: "first" }, [["a"]])).toBeUndefined();
  });

  test("property: any text round-trips", () => {
    const t = learnt();
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), (text, padding) => {
        expect(t.match(JSON.stringify(chunk(text, padding)))).toEqual([text, padding]);
      }),
      { numRuns: 2000 },
    );
  });

  test("property: a matched frame, however it was mangled, parses to the learnt shape with the matched strings", () => {
    const t = learnt();
    const base = JSON.stringify(chunk('a "b" \\ c'));
    // Edits are aimed at the holes half of the time, so that matches are common, not luck.
    const holeAt = base.indexOf('"a ');
    const position = fc.oneof(fc.nat(), fc.integer({ min: holeAt, max: holeAt + 12 }));
    let hits = 0;
    const edits = fc.array(
      fc.tuple(
        position,
        fc.nat(3),
        fc.constantFrom('"', "\\", "}", "]", ",", ":", "a", " ", "0", "\n", "u"),
      ),
      { minLength: 1, maxLength: 3 },
    );
    fc.assert(
      fc.property(edits, (list) => {
        let text = base;
        for (const [at, cut, insert] of list) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + cut);
        }
        const hit = t.match(text);
        if (!hit) return;
        hits++;
        expect(JSON.parse(text)).toEqual(chunk(hit[0]!, hit[1]));
      }),
      { numRuns: 5000 },
    );
    expect(hits).toBeGreaterThan(250);
  });
});
