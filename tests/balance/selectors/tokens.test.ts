/** `$tokens`: the request's estimated input tokens, bound beside $format and $group. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SelectorEngine, checkSelector } from "../../../src/balance/selectors/index";
import { usesTokens } from "../../../src/balance/selectors/program";

const body = new TextEncoder().encode(JSON.stringify({ model: "g", messages: [] }));

let engine: SelectorEngine;
beforeAll(async () => {
  engine = await SelectorEngine.create([
    { group: "long", sources: ["$tokens > 100000", undefined, "$tokens == null"] },
    { group: "typed", sources: ["$tokens | type"] },
    { group: "plain", sources: ['$format == "openai"', undefined, ".x # not $tokensx"] },
    { group: "none", sources: [undefined] },
  ]);
});
afterAll(() => engine.close());

describe("$tokens in selectors", () => {
  test("'$tokens > 100000' matches a long request and not a short one", async () => {
    expect(await engine.evaluate("long", body, "openai", 150_000)).toEqual([
      "match",
      "match",
      "no_match",
    ]);
    expect(await engine.evaluate("long", body, "openai", 99_999)).toEqual([
      "no_match",
      "match",
      "no_match",
    ]);
  });

  test("$tokens is null when no estimate was given, so a size rule does not match", async () => {
    expect(await engine.evaluate("long", body, "openai")).toEqual(["no_match", "match", "match"]);
  });

  test("$tokens is a number (a selector sees what it was given, not a string)", async () => {
    const typed = await SelectorEngine.create([
      { group: "t", sources: ['($tokens | type) == "number"', "$tokens == 1234"] },
    ]);
    try {
      expect(await typed.evaluate("t", body, "gemini", 1234)).toEqual(["match", "match"]);
      expect(await typed.evaluate("t", body, "gemini", Number.NaN)).toEqual([
        "no_match",
        "no_match",
      ]);
    } finally {
      await typed.close();
    }
  });

  test("needsTokens: true exactly for the groups where some selector reads $tokens", () => {
    expect(engine.needsTokens("long")).toBe(true);
    expect(engine.needsTokens("typed")).toBe(true);
    expect(engine.needsTokens("plain")).toBe(false);
    expect(engine.needsTokens("none")).toBe(false);
    expect(engine.needsTokens("unknown")).toBe(false);
  });

  test("usesTokens finds the name as a whole word, in any position", () => {
    expect(usesTokens("$tokens")).toBe(true);
    expect(usesTokens("($tokens|tostring)")).toBe(true);
    expect(usesTokens('"\\($tokens)"')).toBe(true);
    expect(usesTokens("$tokens_x")).toBe(false);
    expect(usesTokens("$tokensx > 1")).toBe(false);
    expect(usesTokens(".tokens > 1")).toBe(false);
  });

  test("a selector using $tokens compiles", async () => {
    expect(await checkSelector("$tokens > 100000")).toEqual({ ok: true });
    expect(await checkSelector('$tokens != null and $format == "anthropic"')).toEqual({
      ok: true,
    });
  });

  test("a body cannot smuggle its own $tokens: the router's key comes after it and wins", async () => {
    // Not JSON on its own, but inside the wrapper it would add a "t" key before the router's.
    const sneaky = new TextEncoder().encode('{},"t":999999999');
    const outcomes = await engine.evaluate("long", sneaky, "openai", 10);
    expect(outcomes[0]).not.toBe("match");
    expect((await engine.evaluate("long", sneaky, "openai"))[0]).not.toBe("match");
  });
});
