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
    expect(learnt().match(JSON.stringify(chunk(" world", "abcdefgh")))).toEqual([" world", "abcdefgh"]);
    expect(learnt([PAD, TEXT]).match(JSON.stringify(chunk("!", "q")))).toEqual(["q", "!"]);
    expect(learnt().match(JSON.stringify(chunk("", "")))).toEqual(["", ""]);
  });

  test("escaped text comes out as JSON.parse gives it", () => {
    for (const text of ['say "hi"', "back\\slash", "line\nbreak", "tab\t", "\u0001", "é ü 中文 🎉", "\\", '\\"', "\ud800"]) {
      expect(learnt().match(JSON.stringify(chunk(text)))).toEqual([text, "Xy3"]);
    }
    // Escapes JSON.stringify would not write are still valid JSON strings.
    expect(learnt().match(JSON.stringify(chunk("?")).replace('"?"', '"\\u00e9\\/"'))).toEqual(["é/", "Xy3"]);
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

  test("is learnt only from canonical JSON, where every path leads to a string", () => {
    const value = chunk("Hello");
    expect(FrameTemplate.learn(JSON.stringify(value, null, 1), value, [TEXT])).toBeUndefined();
    expect(FrameTemplate.learn(JSON.stringify(value).replace(":", ": "), value, [TEXT])).toBeUndefined();
    expect(FrameTemplate.learn(JSON.stringify(value), value, [["created"]])).toBeUndefined();
    expect(FrameTemplate.learn(JSON.stringify(value), value, [["choices", 3, "delta", "content"]])).toBeUndefined();
    expect(FrameTemplate.learn(JSON.stringify(value), value, [["nothing", "here"]])).toBeUndefined();
    // The value it learnt from is left as it was, also when it gives up half way.
    expect(value).toEqual(chunk("Hello"));
    FrameTemplate.learn(JSON.stringify(value), value, [TEXT, ["created"]]);
    expect(value).toEqual(chunk("Hello"));
  });

  test("a frame that holds the placeholder itself gets no template", () => {
    const t = learnt();
    const sneaky = chunk("Hello", "");
    const withMark = { ...sneaky, id: "\u0000llm-router hole 0" };
    expect(FrameTemplate.learn(JSON.stringify(withMark), withMark, [TEXT, PAD])).toBeUndefined();
    expect(t.match(JSON.stringify(chunk("\u0000llm-router hole 0")))).toEqual(["\u0000llm-router hole 0", "Xy3"]);
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
    const edits = fc.array(fc.tuple(position, fc.nat(3), fc.constantFrom('"', "\\", "}", "]", ",", ":", "a", " ", "0", "\n", "u")), { minLength: 1, maxLength: 3 });
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
