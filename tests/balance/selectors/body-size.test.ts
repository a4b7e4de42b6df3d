/**
 * Selectors cannot be turned against their group: a large body buys its selectors time in proportion
 * to its size, a selector that still fails on a large body is not eligible for that request only, and
 * quarantine alone never leaves a group with nobody eligible.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { SelectorEngine } from "../../../src/balance/selectors/index";
import { QUARANTINE_MAX_BODY_BYTES } from "../../../src/balance/selectors/quarantine";
import { loadConfigText } from "../../../src/config";
import { createHandler } from "../../../src/core/handle";
import { loadRuntime } from "../../../src/core/runtime";
import { silentLogger } from "../../../src/log";

// Multi-MB bodies through jq: seconds each on a loaded machine.
setDefaultTimeout(60_000);

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** The README's image selector: walks the whole body with `..`. */
const HAS_IMAGE =
  '[.. | objects | select(.type == "image" or .type == "image_url" or has("inlineData") or has("inline_data"))] | length > 0';
const NO_IMAGE =
  '[.. | objects | select(.type == "image" or .type == "image_url" or has("inlineData") or has("inline_data"))] | length == 0';

/**
 * An agent conversation of tool calls and results, `messageBytes` of text per result. At 1,500
 * bytes per result, 3.3 MB parses within its budget and takes a `..` walk ~200 ms: past the flat
 * 100 ms a selector once had, which quarantined it.
 */
function agentBody(bytes: number, messageBytes = 800): Uint8Array {
  const text = "result text ".repeat(Math.ceil(messageBytes / 12));
  const messages: unknown[] = [];
  for (let i = 0, size = 0; size < bytes; i++, size += messageBytes + 150) {
    messages.push({
      role: "assistant",
      tool_calls: [
        {
          id: `call_${i}`,
          type: "function",
          function: { name: "read_file", arguments: `{"path":"src/${i}.ts"}` },
        },
      ],
    });
    messages.push({ role: "tool", tool_call_id: `call_${i}`, content: text });
  }
  return enc({ model: "auto", messages });
}

const ordinary = (image: boolean) =>
  enc({
    model: "auto",
    messages: [
      {
        role: "user",
        content: image
          ? [
              { type: "text", text: "what is this?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
            ]
          : "hello",
      },
    ],
  });

const loop = (flag: string) => `if .${flag} then last(range(1e12)) else true end`;

describe("a large body", () => {
  test("the attack: a 3.3 MB body that a `..` selector cannot walk in 100 ms quarantines nothing; the next ordinary request is routed at once", async () => {
    const logs: string[] = [];
    const engine = await SelectorEngine.create(
      [{ group: "auto", sources: [HAS_IMAGE, NO_IMAGE] }],
      { log: (level, msg) => logs.push(`${level} ${msg}`) },
    );
    try {
      const attack = agentBody(3.3e6, 1_500);
      expect(attack.length).toBeGreaterThan(3.2e6);
      const verdict = await engine.evaluate("auto", attack, "openai");
      // Walked within its size's allowance, or out of time for this request only.
      expect(["no_match", "timeout"]).toContain(verdict[0]!);
      expect(engine.stats().quarantined).toEqual([]);
      expect(logs).not.toContain("warn selector quarantined");

      const started = performance.now();
      expect(await engine.evaluate("auto", ordinary(true), "openai")).toEqual([
        "match",
        "no_match",
      ]);
      expect(await engine.evaluate("auto", ordinary(false), "openai")).toEqual([
        "no_match",
        "match",
      ]);
      // A quarantine would have answered "skipped" for 30 s; "at once" is far below that.
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      await engine.close();
    }
  });

  test("selectors get time in proportion to the body: an 8 MB conversation is walked, not timed out", async () => {
    const engine = await SelectorEngine.create([
      { group: "walk", sources: [HAS_IMAGE] },
      { group: "parse", sources: ["true"] },
    ]);
    try {
      const body = agentBody(8e6, 1_000);
      expect(await engine.evaluate("parse", body, "anthropic")).toEqual(["match"]);
      expect(await engine.evaluate("walk", body, "anthropic")).toEqual(["no_match"]);
      // The walk alone takes longer than the flat 100 ms one selector gets (~500 ms here; the
      // body's allowance is 2.4 s), which is why the old engine timed it out. Its duration is not
      // asserted: a fast or a loaded machine moves it either way, and what matters is the verdict.
      expect(engine.stats()).toMatchObject({ timeouts: 0, quarantined: [] });
    } finally {
      await engine.close();
    }
  });

  test("a selector that runs out of time on a large body is not eligible for that request only; on a small body it is quarantined", async () => {
    let now = 1_000_000;
    const logs: string[] = [];
    const engine = await SelectorEngine.create(
      [{ group: "g", sources: [loop("loop"), ".a == 1", undefined] }],
      {
        now: () => now,
        quarantineMs: 60_000,
        log: (level, msg) => logs.push(`${level} ${msg}`),
      },
    );
    try {
      const large = enc({ loop: true, a: 1, pad: "x".repeat(QUARANTINE_MAX_BODY_BYTES) });
      expect(await engine.evaluate("g", large, "openai")).toEqual(["timeout", "match", "match"]);
      expect(engine.stats()).toMatchObject({ timeouts: 1, quarantined: [] });
      expect(logs).toContain(
        "info selector stopped on a large body: not eligible for this request",
      );
      expect(await engine.evaluate("g", enc({ loop: false, a: 1 }), "openai")).toEqual([
        "match",
        "match",
        "match",
      ]);

      // A small body leaves no doubt whose fault the loop is.
      expect(await engine.evaluate("g", enc({ loop: true, a: 2 }), "openai")).toEqual([
        "timeout",
        "no_match",
        "match",
      ]);
      expect(engine.stats().quarantined).toEqual(["g#0"]);
      expect(await engine.evaluate("g", enc({ loop: false, a: 1 }), "openai")).toEqual([
        "skipped",
        "match",
        "match",
      ]);
    } finally {
      await engine.close();
    }
  });

  test("however many selectors a group has, a large body holds a worker for one allowance, not one per selector", async () => {
    const sources = Array.from({ length: 6 }, (_, i) => loop(`l${i}`));
    const engine = await SelectorEngine.create([
      { group: "one", sources: sources.slice(0, 1) },
      { group: "six", sources },
    ]);
    try {
      // 3 MiB: an allowance of ~900 ms, used up by whichever selector runs out of time first.
      const body = enc({
        ...Object.fromEntries(sources.map((_, i) => [`l${i}`, true])),
        pad: "x".repeat(3 * 1024 * 1024),
      });
      let started = performance.now();
      expect(await engine.evaluate("one", body, "openai")).toEqual(["timeout"]);
      const one = performance.now() - started;
      started = performance.now();
      expect(await engine.evaluate("six", body, "openai")).toEqual(sources.map(() => "timeout"));
      const six = performance.now() - started;
      // Shared: six ≈ one + five deadlines and parses (~1.7x one). Each with its own allowance: ~6x.
      expect(six).toBeLessThan(3 * one);
      expect(engine.stats().quarantined).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});

describe("quarantine never leaves a group with nobody eligible", () => {
  test("when no other member matches, quarantined selectors decide after all; otherwise they stay out", async () => {
    let now = 1_000_000;
    const engine = await SelectorEngine.create(
      [
        {
          group: "g",
          sources: [`if .loop then (${loop("x")}) else .kind == "a" end`, '.kind == "b"'],
        },
      ],
      {
        now: () => now,
        quarantineMs: 60_000,
      },
    );
    try {
      expect(await engine.evaluate("g", enc({ loop: true, x: true, kind: "b" }), "openai")).toEqual(
        ["timeout", "match"],
      );
      expect(engine.stats().quarantined).toEqual(["g#0"]);
      // Member 1 serves: the quarantined selector is not asked.
      expect(await engine.evaluate("g", enc({ kind: "b" }), "openai")).toEqual([
        "skipped",
        "match",
      ]);
      // Nothing else is eligible: the quarantined selector is asked, and routes the request.
      expect(await engine.evaluate("g", enc({ kind: "a" }), "openai")).toEqual([
        "match",
        "no_match",
      ]);
      expect(await engine.evaluate("g", enc({ kind: "c" }), "openai")).toEqual([
        "no_match",
        "no_match",
      ]);
      // Still quarantined: asking it when nothing else could serve is not a probe.
      expect(engine.stats().quarantined).toEqual(["g#0"]);
      // And when it still loops, the request waits one deadline and nothing is eligible.
      expect(await engine.evaluate("g", enc({ loop: true, x: true, kind: "c" }), "openai")).toEqual(
        ["timeout", "no_match"],
      );
      expect(engine.stats().quarantined).toEqual(["g#0"]);
    } finally {
      await engine.close();
    }
  });
});

describe("through the router", () => {
  const upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const body = (await req.json()) as { model: string };
      return Response.json({
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: body.model,
        choices: [
          { index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
    },
  });
  afterAll(() => upstream.stop(true));

  const model = (name: string) => `
  - model_name: ${name}
    llm_params: { api_type: openai, model: up-${name}, api_base: "http://127.0.0.1:${upstream.port}/v1", api_key: k }`;
  const config = () =>
    loadConfigText(
      `
model_list:${model("vision")}${model("text")}
router_settings:
  model_groups:
    - name: auto
      models:
        - name: vision
          selector: '${HAS_IMAGE}'
        - name: text
          selector: '${NO_IMAGE}'
`,
      "attack.yaml",
      {},
    );

  test("after the 3.3 MB attack, an ordinary request of a group whose members all have selectors is routed, not refused", async () => {
    const runtime = await loadRuntime(config());
    const handle = createHandler({ runtime: () => runtime, log: silentLogger });
    const post = (body: Uint8Array) =>
      handle(
        new Request("http://r/v1/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        }),
      );
    try {
      await (await post(agentBody(3.3e6, 1_500))).arrayBuffer();
      const started = performance.now();
      const image = await post(ordinary(true));
      expect(image.status).toBe(200);
      expect(image.headers.get("x-llm-router-model")).toBe("vision");
      const text = await post(ordinary(false));
      expect(text.status).toBe(200);
      expect(text.headers.get("x-llm-router-model")).toBe("text");
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      await runtime.close();
    }
  });
});
