import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { replaceFirst, replaceUnambiguous } from "../../../src/wire/json/replace";
import { JsonStringRewriter } from "../../../src/wire/json/string-rewriter";
import { SseDataEditor } from "../../../src/wire/sse/data-rewriter";

const enc = new TextEncoder();
const dec = new TextDecoder();

function run(
  input: string,
  path: string[],
  repl: string,
  once = true,
  splits: number[] = [],
): string {
  const bytes = enc.encode(input);
  const r = new JsonStringRewriter(path, repl, { once });
  const cuts = [0, ...splits, bytes.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) out.push(r.push(bytes.subarray(cuts[i], cuts[i + 1])));
  return dec.decode(Buffer.concat(out));
}

describe("JsonStringRewriter", () => {
  test("replaces the top-level value and nothing nested", () => {
    const doc = `{"id":"x","nested":{"model":"keep"},"model":"gpt-4o-2024-08-06","tail":[{"model":"keep2"}]}`;
    const out = run(doc, ["model"], "group-a");
    expect(JSON.parse(out)).toEqual({
      id: "x",
      nested: { model: "keep" },
      model: "group-a",
      tail: [{ model: "keep2" }],
    });
  });

  test("ignores a value that merely looks like the key", () => {
    const doc = `{"content":"\\"model\\":\\"x\\"","model":"m"}`;
    expect(JSON.parse(run(doc, ["model"], "g"))).toEqual({ content: '"model":"x"', model: "g" });
  });

  test("a key that is a prefix or extension of the wanted one does not match", () => {
    const doc = `{"mode":"a","models":"b","model":"c"}`;
    expect(JSON.parse(run(doc, ["model"], "g"))).toEqual({ mode: "a", models: "b", model: "g" });
  });

  test("nested path, e.g. Anthropic message_start", () => {
    const doc = `{"type":"message_start","message":{"id":"m","model":"claude-x","content":[]}}`;
    expect(JSON.parse(run(doc, ["message", "model"], "grp")).message.model).toBe("grp");
  });

  test("every element of an array (Gemini's streamed array) when not once", () => {
    const doc = `[{"candidates":[{"content":{"parts":[{"text":"a"}]}}],"modelVersion":"gemini-001"}\n,\r\n{"modelVersion":"gemini-001"}]`;
    const out = JSON.parse(run(doc, ["*", "modelVersion"], "g", false));
    expect(out.map((o: any) => o.modelVersion)).toEqual(["g", "g"]);
  });

  test("the replacement is JSON-escaped", () => {
    expect(JSON.parse(run(`{"model":"m"}`, ["model"], 'we"ird\\'))).toEqual({ model: 'we"ird\\' });
  });

  test("escaped quotes inside the old value are skipped correctly", () => {
    expect(JSON.parse(run(`{"model":"a\\"b","x":1}`, ["model"], "g"))).toEqual({
      model: "g",
      x: 1,
    });
  });

  test("any split of the bytes gives the same output (multi-byte text included)", () => {
    const doc = `{"id":"é✓","a":{"model":"no"},"model":"gpt-4o","text":"日本語 \\"q\\""}`;
    const want = run(doc, ["model"], "grp");
    const len = enc.encode(doc).length;
    for (let a = 1; a < len; a++) {
      for (const b of [a + 1, a + 3, len - 1]) {
        if (b <= a || b >= len) continue;
        expect(run(doc, ["model"], "grp", true, [a, b])).toBe(want);
      }
    }
  });

  test("returns the very same chunk when nothing changes", () => {
    const r = new JsonStringRewriter(["model"], "g");
    const chunk = enc.encode(`{"id":"x",`);
    expect(r.push(chunk)).toBe(chunk);
  });
});

async function pipeSse(
  input: string,
  rule: ConstructorParameters<typeof SseDataEditor>[0],
  chunkSize: number,
): Promise<string> {
  const bytes = enc.encode(input);
  const editor = new SseDataEditor(rule, "grp");
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize)
    out.push(editor.push(bytes.slice(i, i + chunkSize)));
  out.push(editor.end());
  return dec.decode(Buffer.concat(out));
}

describe("SseDataEditor", () => {
  const openai =
    `: keep-alive\n\n` +
    `data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-2024","choices":[{"delta":{"content":"hi"}}]}\n\n` +
    `data: {"id":"c","model":"gpt-4o-2024","choices":[]}\n\n` +
    `data: [DONE]\n\n`;

  test("edits every data frame, keeps comments and [DONE], for any chunking", async () => {
    const want = openai.replaceAll(`"model":"gpt-4o-2024"`, `"model":"grp"`);
    for (const size of [1, 2, 7, 64, 4096])
      expect(await pipeSse(openai, { path: ["model"] }, size)).toBe(want);
  });

  test("only the key at its path, first frame only, CRLF kept", async () => {
    const anth =
      `event: message_start\r\ndata: {"type":"message_start","message":{"model":"claude-1"}}\r\n\r\n` +
      `event: content_block_delta\r\ndata: {"type":"content_block_delta","delta":{"text":"\\"model\\":\\"claude-1\\""},"model":"claude-1"}\r\n\r\n`;
    const out = await pipeSse(anth, { path: ["message", "model"], onlyFirst: true }, 5);
    expect(out).toBe(anth.replace(`"model":"claude-1"}}`, `"model":"grp"}}`));
  });
});

describe("SseDataEditor on mixed streams", () => {
  /** The expected edit, found independently: parse each data line and set the value at the path. */
  function expected(input: string, path: string[]): unknown[] {
    return input
      .split("\n")
      .filter((l) => l.startsWith("data:") && l.slice(5).trim().startsWith("{"))
      .map((l) => {
        const doc = JSON.parse(l.slice(5));
        let at = doc;
        for (const k of path.slice(0, -1)) at = at?.[k];
        if (at && typeof at === "object" && typeof at[path.at(-1)!] === "string")
          at[path.at(-1)!] = "grp";
        return doc;
      });
  }
  const dataOf = (out: string) => expected(out, ["__none__"]);

  test("nested keys of the same name stay, the key at the path changes, for any chunking (property)", () => {
    const line = fc.record({
      model: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
      nested: fc.option(fc.record({ model: fc.string({ maxLength: 8 }) }), { nil: undefined }),
      text: fc.string({ maxLength: 20 }),
      spaced: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (lines, cuts, crlf) => {
          const eol = crlf ? "\r\n" : "\n";
          const input =
            `: ping${eol}${eol}` +
            lines
              .map((l) => {
                const doc = l.spaced
                  ? {
                      ...(l.model === undefined ? {} : { model: l.model }),
                      args: l.nested,
                      text: l.text,
                    }
                  : {
                      args: l.nested,
                      text: l.text,
                      ...(l.model === undefined ? {} : { model: l.model }),
                    };
                return `data:${l.spaced ? " " : ""}${JSON.stringify(doc, null, l.spaced ? 1 : 0).replaceAll("\n", "")}${eol}${eol}`;
              })
              .join("") +
            `data: [DONE]${eol}${eol}`;
          const bytes = enc.encode(input);
          const editor = new SseDataEditor({ path: ["model"] }, "grp");
          const out: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const size = cuts[i % cuts.length]!;
            out.push(editor.push(bytes.slice(at, at + size)));
            at += size;
          }
          out.push(editor.end());
          const text = dec.decode(Buffer.concat(out));
          expect(dataOf(text)).toEqual(expected(input, ["model"]));
          // Nothing but the edited values changed: comments, blank lines and [DONE] are where they were.
          expect(
            text.split(eol).filter((l) => !l.startsWith("data: {") && !l.startsWith("data:{")),
          ).toEqual(
            input.split(eol).filter((l) => !l.startsWith("data: {") && !l.startsWith("data:{")),
          );
        },
      ),
      { numRuns: 1000, seed: 7 },
    );
  });

  test("a chunk that carries no key comes back as the very same chunk", () => {
    const editor = new SseDataEditor({ path: ["modelVersion"] }, "grp");
    const chunk = enc.encode(`data: {"candidates":[{"content":{"parts":[{"text":"hi"}]}}]}\n\n`);
    expect(editor.push(chunk)).toBe(chunk);
  });

  test("a long data line cut into many chunks is passed on as it comes, not held back", () => {
    const editor = new SseDataEditor({ path: ["modelVersion"] }, "grp");
    const line = `data: {"candidates":[{"content":{"parts":[{"text":"${"x".repeat(10_000)}"}]}}],"modelVersion":"gemini-x"}\n\n`;
    const bytes = enc.encode(line);
    const sizes: number[] = [];
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 1000) {
      const o = editor.push(bytes.slice(i, i + 1000));
      sizes.push(o.length);
      out.push(o);
    }
    expect(sizes.slice(0, 9).every((n) => n === 1000)).toBe(true);
    expect(dec.decode(Buffer.concat(out))).toBe(
      line.replace('"modelVersion":"gemini-x"', '"modelVersion":"grp"'),
    );
  });
});

describe("replaceFirst", () => {
  test("replaces the value at the path, leaves nested ones, and reuses its preparation safely", () => {
    const path = ["model"] as const;
    const doc = (m: string) => enc.encode(`{"nested":{"model":"keep"},"model":"${m}","tail":"x"}`);
    for (const [group, old] of [
      ["g1", "up-a"],
      ["g2", "up-bb"],
      ["g1", "u"],
      ['grüppe "q"', "up"],
    ] as const) {
      const out = dec.decode(replaceFirst(doc(old), path, group));
      expect(JSON.parse(out)).toEqual({ nested: { model: "keep" }, model: group, tail: "x" });
    }
    const none = enc.encode(`{"id":"x"}`);
    expect(replaceFirst(none, path, "g")).toBe(none);
  });
});

describe("replaceUnambiguous", () => {
  const edit = (doc: string, path: string[] = ["model"]) => {
    const out = replaceUnambiguous(enc.encode(doc), path, "up");
    return out && dec.decode(out);
  };

  test("one plain key: the bytes are edited in place", () => {
    expect(edit(`{"model":"g","messages":[{"model":"nested"}],"x":"\\u0041"}`)).toBe(
      `{"model":"up","messages":[{"model":"nested"}],"x":"\\u0041"}`,
    );
    expect(edit(`{"messages":[]}`)).toBe(`{"messages":[]}`);
  });

  test("the key twice, whatever the first holds, or a key at the path's depth written with an escape: ambiguous", () => {
    expect(edit(`{"model":"a","model":"g"}`)).toBeUndefined();
    expect(edit(`{"model":[1],"model":"g"}`)).toBeUndefined();
    expect(edit(`{"m\\u006fdel":"a","model":"g"}`)).toBeUndefined();
    expect(edit(`{"model":"g","\\u0074emperature":1}`)).toBeUndefined();
  });

  test("keys deeper than the path, or under other parents, do not count", () => {
    expect(edit(`{"model":"g","messages":[{"model":"a","m\\u006fdel":"b"}]}`)).toBe(
      `{"model":"up","messages":[{"model":"a","m\\u006fdel":"b"}]}`,
    );
    expect(
      edit(`{"other":{"model":"a"},"req":{"model":"g","model":"h"}}`, ["req", "model"]),
    ).toBeUndefined();
    expect(edit(`{"other":{"model":"a"},"req":{"model":"g"}}`, ["req", "model"])).toBe(
      `{"other":{"model":"a"},"req":{"model":"up"}}`,
    );
  });

  test("the verdict is the walk's own: a prepared rewriter used again starts clean", () => {
    expect(edit(`{"model":"a","model":"g"}`)).toBeUndefined();
    expect(edit(`{"model":"g"}`)).toBe(`{"model":"up"}`);
  });
});
