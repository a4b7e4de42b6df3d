import { describe, expect, test } from "bun:test";
import type { Message } from "../../../src/ir/content";
import { encodeCtx, encodeRequestOk, warnedFields } from "./helpers";

const toolTurn: Message[] = [
  { role: "user", parts: [{ type: "text", text: "weather?" }] },
  {
    role: "assistant",
    parts: [
      { type: "reasoning", text: "need tools", signature: { source: "anthropic", value: "EqQB" } },
      { type: "tool_call", id: "toolu_01", name: "get_weather", args: { city: "Oslo" } },
      { type: "tool_call", id: "toolu_02", name: "now", args: {} },
    ],
  },
  {
    role: "user",
    parts: [
      {
        type: "tool_result",
        callId: "toolu_01",
        name: "get_weather",
        content: [
          { type: "text", text: "sunny" },
          { type: "image", mime: "image/png", data: "AAAA" },
        ],
      },
      {
        type: "tool_result",
        callId: "toolu_02",
        name: "now",
        content: [{ type: "text", text: "boom" }],
        isError: true,
      },
      { type: "text", text: "and tomorrow?" },
    ],
  },
];

describe("messages", () => {
  test("system first (joined), mid-conversation system in place, model from the target", () => {
    const body = encodeRequestOk({
      system: [
        { type: "text", text: "A", ext: { anthropic: { cacheControl: { type: "ephemeral" } } } },
        { type: "text", text: "B" },
      ],
      messages: [
        { role: "user", parts: [{ type: "text", text: "hi" }] },
        { role: "system", parts: [{ type: "text", text: "mid" }] },
      ],
    });
    expect(body.model).toBe("gpt-test");
    expect(body.messages).toEqual([
      { role: "system", content: "A\n\nB" },
      { role: "user", content: "hi" },
      { role: "system", content: "mid" },
    ]);
  });

  test("tool turn: reasoning_content on the call turn, tool messages right after, attachments then user text", () => {
    const c = encodeCtx();
    const body = encodeRequestOk({ messages: toolTurn }, c);
    expect(body.messages).toEqual([
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "need tools",
        tool_calls: [
          {
            id: "toolu_01",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
          },
          { id: "toolu_02", type: "function", function: { name: "now", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_01", content: "sunny" },
      { role: "tool", tool_call_id: "toolu_02", content: "Error: boom" },
      {
        role: "user",
        content: [
          { type: "text", text: "Attachments returned by tool get_weather:" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        ],
      },
      { role: "user", content: "and tomorrow?" },
    ]);
    expect(warnedFields(c)).toContain("reasoning.signature");
  });

  test("reasoning on a turn without tool calls is dropped with a warning", () => {
    const c = encodeCtx();
    const body = encodeRequestOk(
      {
        messages: [
          { role: "user", parts: [{ type: "text", text: "q" }] },
          {
            role: "assistant",
            parts: [
              { type: "reasoning", text: "r" },
              { type: "text", text: "a" },
              { type: "text", text: "b" },
            ],
          },
        ],
      },
      c,
    );
    expect(body.messages[1]).toEqual({ role: "assistant", content: "a\nb" });
    expect(warnedFields(c)).toContain("reasoning");
  });

  test("calls without results get placeholder results; results without calls are dropped, both with warnings", () => {
    const c = encodeCtx();
    const body = encodeRequestOk(
      {
        messages: [
          { role: "user", parts: [{ type: "text", text: "q" }] },
          { role: "assistant", parts: [{ type: "tool_call", id: "a", name: "f", args: {} }] },
          {
            role: "user",
            parts: [
              { type: "tool_result", callId: "zzz", content: [] },
              { type: "text", text: "go on" },
            ],
          },
        ],
      },
      c,
    );
    expect(body.messages.slice(2)).toEqual([
      { role: "tool", tool_call_id: "a", content: "(no result)" },
      { role: "user", content: "go on" },
    ]);
    expect(c.warnings.list.map((w) => w.code)).toEqual(["dropped", "approximated"]);
  });

  test("long tool names and ids are fitted to OpenAI's rules, the same way in calls, results, tools and tool_choice", () => {
    const longName = "mcp__server.with.dots__" + "x".repeat(60);
    const longId = "read_file_1731000000000_0_with_a_very_long_suffix";
    const c = encodeCtx();
    const body = encodeRequestOk(
      {
        tools: [{ name: longName, schema: { type: "object", properties: {} } }],
        toolChoice: { type: "tool", name: longName },
        messages: [
          { role: "user", parts: [{ type: "text", text: "q" }] },
          {
            role: "assistant",
            parts: [{ type: "tool_call", id: longId, name: longName, args: {} }],
          },
          {
            role: "user",
            parts: [
              { type: "tool_result", callId: longId, content: [{ type: "text", text: "r" }] },
            ],
          },
        ],
      },
      c,
    );
    const wireName = body.tools[0].function.name as string;
    expect(wireName).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(body.tool_choice).toEqual({ type: "function", function: { name: wireName } });
    expect(body.messages[1].tool_calls[0].function.name).toBe(wireName);
    const wireId = body.messages[1].tool_calls[0].id as string;
    expect(wireId.length).toBeLessThanOrEqual(40);
    expect(body.messages[2].tool_call_id).toBe(wireId);
    expect(c.toolNames.fromWire(wireName)).toBe(longName);
  });

  test("media: image URL with detail, PDF as file part, audio as input_audio, text document as text", () => {
    const body = encodeRequestOk({
      messages: [
        {
          role: "user",
          parts: [
            { type: "image", url: "https://x.test/a.png", detail: "high" },
            { type: "file", mime: "application/pdf", data: "JVBERi0=" },
            { type: "file", mime: "audio/mpeg", data: "SUQz" },
            { type: "file", text: "plain doc" },
          ],
        },
      ],
    });
    expect(body.messages[0].content).toEqual([
      { type: "image_url", image_url: { url: "https://x.test/a.png", detail: "high" } },
      {
        type: "file",
        file: { filename: "document.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
      },
      { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } },
      { type: "text", text: "plain doc" },
    ]);
  });

  test("Gemini call signatures go back only to Google's compat endpoint, in extra_content", () => {
    const messages: Message[] = [
      { role: "user", parts: [{ type: "text", text: "q" }] },
      {
        role: "assistant",
        parts: [
          {
            type: "tool_call",
            id: "c",
            name: "f",
            args: {},
            signature: { source: "gemini", value: "R0VN" },
          },
        ],
      },
    ];
    const google = encodeCtx({
      apiBase: "https://generativelanguage.googleapis.com/v1beta/openai",
    });
    expect(encodeRequestOk({ messages }, google).messages[1].tool_calls[0].extra_content).toEqual({
      google: { thought_signature: "R0VN" },
    });
    for (const apiBase of ["https://api.openai.com/v1", "https://api.deepseek.com"]) {
      const other = encodeCtx({ apiBase });
      expect(
        encodeRequestOk({ messages }, other).messages[1].tool_calls[0].extra_content,
      ).toBeUndefined();
      expect(warnedFields(other)).toContain("tool_calls[].signature");
    }
  });
});
