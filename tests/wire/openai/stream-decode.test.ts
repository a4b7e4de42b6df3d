import { describe, expect, test } from "bun:test";
import type { StreamEvent } from "../../../src/ir/stream";
import { argsOf, decodeStream, fixtureText, GROUP, ofType, reasoningOf, textOf } from "./helpers";

const finishOf = (ev: StreamEvent[]) => ofType(ev, "finish").map((e) => e.finish);
const lastUsage = (ev: StreamEvent[]) => ofType(ev, "usage").at(-1)?.usage;

describe("recorded OpenAI streams", () => {
  test("text-stream: text, usage from the trailing usage-only chunk, stop; model is the group", async () => {
    const ev = await decodeStream(fixtureText("openai/text-stream.sse"));
    expect(ev[0]).toEqual({
      type: "start",
      id: "chatcmpl-Dx0Xq5Xx9rHB2ehcHZCRDsnuymUXc",
      model: GROUP,
    });
    expect(textOf(ev)).toBe("The capital of the UK is London.");
    expect(lastUsage(ev)).toEqual({
      input: 78,
      cacheRead: 0,
      cacheWrite: 0,
      output: 9,
      reasoning: 0,
    });
    expect(finishOf(ev)).toEqual([{ reason: "stop" }]);
    // The finish is held until [DONE] so the usage chunk after it is not lost.
    expect(ev.findIndex((e) => e.type === "usage")).toBeLessThan(
      ev.findIndex((e) => e.type === "finish"),
    );
    expect(ev.at(-1)!.type).toBe("finish");
  });

  test("tool-call-stream: one call, fragments join to the arguments, finish tool_calls", async () => {
    const ev = await decodeStream(fixtureText("openai/tool-call-stream.sse"));
    expect(ofType(ev, "tool_start")).toEqual([
      {
        type: "tool_start",
        index: 0,
        id: "call_QXZLQbxriC1eBnOMXLPMopfe",
        name: "get_current_temperature",
      },
    ]);
    expect(JSON.parse(argsOf(ev, 0))).toEqual({ city: "San Francisco" });
    expect(ofType(ev, "tool_end")).toEqual([{ type: "tool_end", index: 0 }]);
    expect(finishOf(ev)).toEqual([{ reason: "tool_calls" }]);
  });

  test("tool-call-parallel-stream: two calls keep their own index and arguments", async () => {
    const ev = await decodeStream(fixtureText("openai/tool-call-parallel-stream.sse"));
    expect(ofType(ev, "tool_start").map((e) => [e.index, e.id])).toEqual([
      [0, "call_u0T52evs3Y0byXDiUv5Al8dG"],
      [1, "call_iXfR9wmFaDTHUw5YaVxD1uFH"],
    ]);
    expect(JSON.parse(argsOf(ev, 0))).toEqual({ location: "San Francisco" });
    expect(JSON.parse(argsOf(ev, 1))).toEqual({ location: "Boston" });
  });

  test("cached-tokens-stream: cached tokens are cache reads, not fresh input", async () => {
    const ev = await decodeStream(fixtureText("openai/cached-tokens-stream.sse"));
    expect(lastUsage(ev)).toEqual({
      input: 120,
      cacheRead: 1024,
      cacheWrite: 0,
      output: 3,
      reasoning: 0,
    });
  });

  test("azure-reasoning-usage-stream: empty-choices first chunk, reasoning tokens counted", async () => {
    const ev = await decodeStream(fixtureText("openai/azure-reasoning-usage-stream.sse"));
    expect(ev[0]!.type).toBe("start");
    expect(textOf(ev)).toBe("Capital of Denmark.");
    expect(lastUsage(ev)).toEqual({
      input: 15,
      cacheRead: 0,
      cacheWrite: 0,
      output: 78,
      reasoning: 64,
    });
    expect(finishOf(ev)).toEqual([{ reason: "stop" }]);
  });
});

describe("recorded OpenAI-compatible streams", () => {
  test("anthropic-compat: a first tool index of 1 still becomes tool index 0", async () => {
    const ev = await decodeStream(
      fixtureText("openai-compatible/anthropic-compat-tool-call-stream.sse"),
    );
    expect(textOf(ev)).toBe("Reading it.");
    expect(ofType(ev, "tool_start")).toEqual([
      { type: "tool_start", index: 0, id: "toolu_sanitized", name: "read_file" },
    ]);
    expect(JSON.parse(argsOf(ev, 0))).toEqual({ path: "a.txt" });
    // Empty argument fragments are not forwarded.
    expect(ofType(ev, "tool_args").every((e) => e.fragment !== "")).toBe(true);
  });

  test("deepseek: reasoning_content then text; usage inside the finish chunk", async () => {
    const ev = await decodeStream(fixtureText("openai-compatible/deepseek-reasoning-stream.sse"));
    expect(reasoningOf(ev)).toStartWith('Hmm, the user just said "Hello".');
    expect(textOf(ev)).toBe("Hello there! 😊 How can I help you today?");
    const firstText = ev.findIndex((e) => e.type === "text");
    expect(ev.findLastIndex((e) => e.type === "reasoning")).toBeLessThan(firstText);
    expect(lastUsage(ev)).toEqual({
      input: 6,
      cacheRead: 0,
      cacheWrite: 0,
      output: 212,
      reasoning: 198,
    });
  });

  test("deepseek tool call: thinking then tool use, cache hits as cache reads", async () => {
    const ev = await decodeStream(
      fixtureText("openai-compatible/deepseek-reasoning-tool-call-stream.sse"),
    );
    expect(reasoningOf(ev)).toContain("weather");
    expect(JSON.parse(argsOf(ev, 0))).toEqual({ location: "San Francisco" });
    expect(lastUsage(ev)).toEqual({
      input: 19,
      cacheRead: 320,
      cacheWrite: 0,
      output: 83,
      reasoning: 39,
    });
    expect(finishOf(ev)).toEqual([{ reason: "tool_calls" }]);
  });

  test('qwen tool call: continuations with id "" stay on the same call', async () => {
    const ev = await decodeStream(fixtureText("openai-compatible/qwen-tool-call-stream.sse"));
    expect(ofType(ev, "tool_start")).toHaveLength(1);
    expect(JSON.parse(argsOf(ev, 0))).toEqual({ location: "San Francisco" });
  });

  test("qwen reasoning: trailing usage chunk with reasoning tokens", async () => {
    const ev = await decodeStream(fixtureText("openai-compatible/qwen-reasoning-stream.sse"));
    expect(reasoningOf(ev).length).toBeGreaterThan(100);
    expect(textOf(ev)).toContain("**3**");
    expect(lastUsage(ev)).toEqual({
      input: 24,
      cacheRead: 0,
      cacheWrite: 0,
      output: 1355,
      reasoning: 1084,
    });
  });

  test("openrouter reasoning: `reasoning` field and comment lines", async () => {
    const ev = await decodeStream(fixtureText("openai-compatible/openrouter-reasoning-stream.sse"));
    expect(reasoningOf(ev)).toBe("This is a simple arithmetic question. 2+2 equals 4.");
    expect(textOf(ev)).toBe("2 + 2 = 4");
    expect(lastUsage(ev)?.reasoning).toBe(13);
  });

  test("openrouter mid-stream error chunk (with choices and usage) → an error event, nothing after", async () => {
    const ev = await decodeStream(
      fixtureText("openai-compatible/openrouter-length-midstream-error.sse"),
    );
    const err = ev.at(-1)!;
    expect(err.type).toBe("error");
    if (err.type === "error") {
      expect(err.error.message).toBe("upstream (openai): Token limit reached");
      expect(err.error.status).toBe(400);
    }
    expect(finishOf(ev)).toEqual([]);
  });

  test("groq `event: error` frame without [DONE] → error event, not a premature-end error", async () => {
    const ev = await decodeStream(
      fixtureText("openai-compatible/groq-tool-use-failed-midstream-error.sse"),
    );
    expect(ofType(ev, "error")).toHaveLength(1);
    expect(ofType(ev, "error")[0]!.error.message).toContain("Tool call validation failed");
    expect(ev.at(-1)!.type).toBe("error");
  });

  test("vllm length: content and finish_reason in one chunk, content first", async () => {
    const ev = await decodeStream(fixtureText("openai-compatible/vllm-length-stream.sse"));
    expect(textOf(ev)).toEndWith("supervisor\n<");
    expect(finishOf(ev)).toEqual([{ reason: "length" }]);
  });
});
