import { describe, expect, test } from "bun:test";
import { checkFlagValue, parseCheckKinds, parseCheckTimeout, wantsColor } from "../../src/check";
import { hostOf, sanitize } from "../../src/check/redact";
import { configSecrets } from "../../src/log";
import { swapTokenLimit } from "../../src/wire/openai/probe";
import { configOf } from "./fixture";

describe("redaction", () => {
  test("configured keys and rewrite_header values are secrets, longest first", () => {
    const config = configOf([
      {
        name: "a",
        kind: "openai",
        base: "http://127.0.0.1:1/v1",
        key: "sk-short-1234",
        extra: `\n      rewrite_header: {authorization: "Bearer custom-token-abcdef", x-tiny: "no"}`,
      },
      {
        name: "b",
        kind: "gemini",
        base: "http://127.0.0.1:1/v1beta",
        key: "sk-short-1234-and-longer",
      },
      { name: "c", kind: "anthropic", base: "http://127.0.0.1:1" },
    ]);
    expect(configSecrets(config)).toEqual([
      "sk-short-1234-and-longer",
      "custom-token-abcdef",
      "sk-short-1234",
    ]);
  });

  test("masks secrets and credential shapes, and makes one short line", () => {
    const secrets = ["my-own-secret-value"];
    expect(sanitize("upstream (openai): bad key my-own-secret-value\n  try again", secrets)).toBe(
      "bad key [redacted] try again",
    );
    expect(sanitize("got sk-proj-ABCDEFGHIJKLMNOP and AIzaSyA1234567890abcdefghijkl", [])).toBe(
      "got [redacted] and [redacted]",
    );
    expect(sanitize("header was Bearer abc.def.ghi, sorry", [])).toBe(
      "header was Bearer [redacted], sorry",
    );
    expect(sanitize("GET https://x.test/v1?alt=sse&key=AIzaabc failed", [])).toBe(
      "GET https://x.test/v1?alt=sse&key=[redacted] failed",
    );
    expect(sanitize("proxy http://user:pa55@proxy.test:3128 refused", [])).toBe(
      "proxy http://[redacted]@proxy.test:3128 refused",
    );
    const long = sanitize("x".repeat(500), []);
    expect(long).toHaveLength(160);
    expect(long.endsWith("…")).toBe(true);
  });

  test("hosts never carry credentials, paths or queries", () => {
    expect(hostOf("https://user:secret@api.example.com:8443/v1?key=abc")).toBe(
      "api.example.com:8443",
    );
    expect(hostOf("https://api.openai.com/v1")).toBe("api.openai.com");
    expect(hostOf("not a url")).toBe("?");
  });
});

describe("command-line helpers", () => {
  test("--check value from the raw arguments", () => {
    expect(checkFlagValue(["-c", "x.yaml"])).toBeUndefined();
    expect(checkFlagValue(["--check"])).toBe("");
    expect(checkFlagValue(["--check=stream,tools", "-c", "x"])).toBe("stream,tools");
    expect(checkFlagValue(["--check", "--no-check"])).toBeUndefined();
    expect(checkFlagValue(["--", "--check"])).toBeUndefined();
  });

  test("kinds: basic always, in a fixed order, unknown words refused", () => {
    expect(parseCheckKinds("")).toEqual(["basic"]);
    expect(parseCheckKinds("tools,stream")).toEqual(["basic", "stream", "tools"]);
    expect(parseCheckKinds(" Stream ")).toEqual(["basic", "stream"]);
    expect(parseCheckKinds("all")).toEqual(["basic", "stream", "tools"]);
    expect(() => parseCheckKinds("stream,tool")).toThrow('invalid --check "stream,tool"');
  });

  test("timeout in seconds", () => {
    expect(parseCheckTimeout(undefined)).toBe(30_000);
    expect(parseCheckTimeout("2.5")).toBe(2500);
    for (const bad of ["", "0", "-1", "abc", "3601"])
      expect(() => parseCheckTimeout(bad)).toThrow("invalid --check-timeout");
  });

  test("colour only on a terminal, and NO_COLOR wins", () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({}, {})).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
  });
});

describe("token-limit swap", () => {
  test("only a 400 that calls the sent parameter unsupported", () => {
    const body = { model: "o3", messages: [], max_tokens: 8 };
    const msg =
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
    expect(swapTokenLimit(body, 400, msg)).toEqual({
      model: "o3",
      messages: [],
      max_completion_tokens: 8,
    });
    expect(
      swapTokenLimit(
        { max_completion_tokens: 8 },
        400,
        "Unrecognized request argument supplied: max_completion_tokens",
      ),
    ).toEqual({ max_tokens: 8 });
    expect(swapTokenLimit(body, 401, msg)).toBeUndefined();
    expect(swapTokenLimit(body, 400, "max_tokens is too large")).toBeUndefined();
    expect(swapTokenLimit({ model: "x" }, 400, msg)).toBeUndefined();
  });
});
