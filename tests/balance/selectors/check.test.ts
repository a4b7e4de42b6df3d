/** Compile errors are found per selector at load, with jq's message and the line inside the selector. */
import { describe, expect, test } from "bun:test";
import { SelectorEngine, checkSelector } from "../../../src/balance/selectors/index";

describe("checkSelector", () => {
  test.each([
    [".messages | length > 2"],
    ['$format == "openai" and $group == "g"'],
    ["def f: f; f"],
    ["last(range(1e12))"],
    [".a # a comment on the last line"],
    ["if .stream then true else false end"],
    ["if . then 1 end"], // jq 1.7 only: an `if` without `else`
    ['pick(.a) | abs? // scan("x")'],
  ])("accepts %p", async (source) => {
    expect(await checkSelector(source)).toEqual({ ok: true });
  });

  test.each([
    [".a[", "syntax error, unexpected end of file", 1],
    ["$undefined", "$undefined is not defined", 1],
    ["nope(1)", "nope/1 is not defined", 1],
    [".a |\n.b |\n  ]", "syntax error, unexpected INVALID_CHARACTER", 3],
    [".a as [$x] | $y", "$y is not defined", 1],
    ["true) , (halt", "syntax error", 1],
  ] as const)("rejects %p", async (source, message, line) => {
    const r = await checkSelector(source);
    expect(r.ok).toBe(false);
    expect(r.message).toContain(message);
    expect(r.line).toBe(line);
  });

  test("rejects an empty selector and reserved names", async () => {
    expect((await checkSelector("")).ok).toBe(false);
    expect((await checkSelector("   \n")).ok).toBe(false);
    expect(await checkSelector("$__lr_body")).toMatchObject({
      ok: false,
      message: expect.stringContaining("reserved"),
    });
  });

  test("a selector that exhausts memory while jq folds constants is rejected, and checking goes on", async () => {
    const r = await checkSelector('"x" * 1e9 | length > 0');
    expect(r).toMatchObject({ ok: false, message: expect.stringContaining("out of memory") });
    expect(await checkSelector(".ok")).toEqual({ ok: true });
  });

  test("never runs the selector: a looping selector checks in milliseconds", async () => {
    const started = performance.now();
    expect((await checkSelector("def f: f; f")).ok).toBe(true);
    expect((await checkSelector("[range(1e9)] | length > 0")).ok).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test("SelectorEngine.create refuses invalid selectors and names each one", async () => {
    const attempt = SelectorEngine.create([
      { group: "a", sources: ["true", ".x["] },
      { group: "b", sources: [undefined, "nope"] },
    ]);
    await expect(attempt).rejects.toThrow(
      /group "a" member 1: syntax error.*\n.*group "b" member 1: nope\/0 is not defined/,
    );
  });

  test("does not touch process.exitCode", async () => {
    process.exitCode = undefined;
    await checkSelector(".a[");
    await checkSelector("$undefined");
    expect(process.exitCode).toBeUndefined();
  });
});
