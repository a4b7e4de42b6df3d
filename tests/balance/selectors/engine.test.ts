/** SelectorEngine behaviour around the edges: no-selector groups, size caps, odd bodies, shutdown. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SelectorEngine } from "../../../src/balance/selectors/index";

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];

let engine: SelectorEngine;
beforeAll(async () => {
  engine = await SelectorEngine.create(
    [
      { group: "plain", sources: [undefined, undefined] },
      { group: "mixed", sources: [undefined, ".a == 1", '.s | test("x")'] },
      {
        group: "big",
        sources: [
          ".messages | length == 2",
          '.messages[1].content | endswith("END")',
          '$format == "anthropic"',
        ],
      },
    ],
    {
      maxBodyBytes: 8 * 1024 * 1024,
      log: (level, msg, fields) => logs.push({ level, msg, fields }),
    },
  );
});
afterAll(() => engine.close());

describe("SelectorEngine.evaluate", () => {
  test("members without a selector match without any jq work", async () => {
    const before = engine.stats().evaluations;
    expect(await engine.evaluate("plain", enc({}), "openai")).toEqual(["match", "match"]);
    expect(engine.stats().evaluations).toBe(before);
    const noWorkers = await SelectorEngine.create([{ group: "g", sources: [undefined] }]);
    expect(await noWorkers.evaluate("g", enc("not even json"), "gemini")).toEqual(["match"]);
    await noWorkers.close();
  });

  test("one outcome per member, in member order", async () => {
    expect(await engine.evaluate("mixed", enc({ a: 1, s: "xyz" }), "openai")).toEqual([
      "match",
      "match",
      "match",
    ]);
    expect(await engine.evaluate("mixed", enc({ a: 2, s: "abc" }), "openai")).toEqual([
      "match",
      "no_match",
      "no_match",
    ]);
  });

  test("runtime errors are passed to the debug log with group, member, selector and jq's message", async () => {
    logs.length = 0;
    expect(await engine.evaluate("mixed", enc({ a: 1, s: 5 }), "openai")).toEqual([
      "match",
      "match",
      "error",
    ]);
    const entry = logs.find((l) => l.msg === "selector error");
    expect(entry?.level).toBe("debug");
    expect(entry?.fields).toMatchObject({
      group: "mixed",
      member: 2,
      selector: '.s | test("x")',
      message: expect.stringContaining("cannot be matched"),
    });
  });

  test("a body that is not one JSON value is an error for every selector, and the next body is fine", async () => {
    for (const bad of ['{"a":', "{} {}", "", "nope", '{"a":1}}']) {
      expect(await engine.evaluate("mixed", enc(bad), "openai")).toEqual([
        "match",
        "error",
        "error",
      ]);
      expect(await engine.evaluate("mixed", enc({ a: 1, s: "x" }), "openai")).toEqual([
        "match",
        "match",
        "match",
      ]);
    }
  });

  test("a body carrying a record separator cannot inject a request of its own", async () => {
    const sneaky = '{"a":2}\x1e{"g":"mixed","f":"openai","r":[0,1],"b":{"a":1,"s":"x"}';
    expect(await engine.evaluate("mixed", enc(sneaky), "openai")).toEqual([
      "match",
      "error",
      "error",
    ]);
    // Closes the wrapper early with ids of its choosing, then hides the real wrapper in a broken text.
    expect(
      await engine.evaluate(
        "mixed",
        enc('{}, "r":[1,1], "g":"mixed", "f":"openai"} {"b": ]'),
        "openai",
      ),
    ).toEqual(["match", "error", "error"]);
    expect(
      await engine.evaluate("mixed", enc('{"a":1,"s":"x"}} {"b":{"a":1,"s":"x"}'), "openai"),
    ).toEqual(["match", "error", "error"]);
  });

  test("a 5 MB body is evaluated", async () => {
    const body = enc({
      messages: [
        { role: "user", content: "x".repeat(5 * 1024 * 1024) },
        { role: "user", content: "lots of text, END" },
      ],
    });
    expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
    expect(await engine.evaluate("big", body, "anthropic")).toEqual(["match", "match", "match"]);
    expect(await engine.evaluate("big", enc({ messages: [] }), "openai")).toEqual([
      "no_match",
      "error",
      "no_match",
    ]);
  });

  test("a body above the cap is skipped, said so in the log, and costs no jq work", async () => {
    logs.length = 0;
    const body = new Uint8Array(8 * 1024 * 1024 + 1).fill(0x20);
    const started = performance.now();
    expect(await engine.evaluate("mixed", body, "openai")).toEqual(["match", "skipped", "skipped"]);
    // Parsing 8 MiB in jq takes hundreds of ms; returning at once is far below that even under load.
    expect(performance.now() - started).toBeLessThan(100);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: "info", msg: expect.stringContaining("above the cap") }),
    );
  });

  test("an unknown group is a wiring bug and says so", async () => {
    expect(engine.evaluate("nope", enc({}), "openai")).rejects.toThrow(/unknown group "nope"/);
  });

  test("concurrent requests all get their own answers", async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        engine.evaluate("mixed", enc({ a: i % 3, s: i % 2 ? "x" : "y" }), "openai"),
      ),
    );
    results.forEach((r, i) =>
      expect(r).toEqual([
        "match",
        i % 3 === 1 ? "match" : "no_match",
        i % 2 ? "match" : "no_match",
      ]),
    );
  });
});

describe("shutdown", () => {
  // A child process, so a worker that kept the event loop alive would show up as a hang.
  const script = (close: boolean) => `
    import { SelectorEngine } from ${JSON.stringify(join(import.meta.dir, "../../../src/balance/selectors/index.ts"))};
    const e = await SelectorEngine.create([{ group: "g", sources: ["def f: f; f", ".a == 1", "error(\\"x\\")", "[range(1e9)] | length"] }], { timeoutMs: 50 });
    const r = await e.evaluate("g", new TextEncoder().encode('{"a":1}'), "openai");
    ${close ? "await e.close();" : ""}
    console.log(JSON.stringify({ r, exitCode: process.exitCode ?? null }));
  `;

  test.each([[true], [false]])(
    "the process exits on its own after failing selectors (close() called: %p), exit code untouched",
    async (close) => {
      const started = performance.now();
      const child = Bun.spawn([process.execPath, "-e", script(close)], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const timer = setTimeout(() => child.kill(), 15_000);
      const [out, err, code] = await Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
        child.exited,
      ]);
      clearTimeout(timer);
      expect(err).toBe("");
      expect(code).toBe(0);
      expect(JSON.parse(out)).toEqual({
        r: ["timeout", "match", "error", "timeout"],
        exitCode: null,
      });
      expect(performance.now() - started).toBeLessThan(10_000);
    },
  );

  test("after close(), evaluations resolve as skipped instead of hanging", async () => {
    const e = await SelectorEngine.create([{ group: "g", sources: ["true", undefined] }]);
    await e.close();
    expect(await e.evaluate("g", enc({}), "openai")).toEqual(["skipped", "match"]);
  });
});
