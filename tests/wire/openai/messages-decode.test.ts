import { describe, expect, test } from "bun:test";
import { ctx, decodeRequestOk, userMessage } from "./helpers";

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

describe("messages", () => {
  test("leading system/developer → system; later ones stay in place", () => {
    const req = decodeRequestOk({
      messages: [
        { role: "system", content: "a" },
        { role: "developer", content: [{ type: "text", text: "b" }] },
        userMessage("hi"),
        { role: "system", content: "mid" },
      ],
    });
    expect(req.system).toEqual([
      { type: "text", text: "a" },
      { type: "text", text: "b" },
    ]);
    expect(req.messages[1]).toEqual({ role: "system", parts: [{ type: "text", text: "mid" }] });
  });

  test("user parts: images (data URL, sniffed MIME, http + detail), audio, files; cache_control kept for Anthropic", () => {
    const req = decodeRequestOk({
      messages: [
        userMessage([
          { type: "text", text: "look", cache_control: { type: "ephemeral" } },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: "image_url", image_url: { url: `data:;base64,${PNG}` } },
          { type: "image_url", image_url: { url: "https://x.test/a.jpg", detail: "low" } },
          { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
          { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } },
          {
            type: "file",
            file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
          },
          { type: "file", file: { file_id: "file-abc" } },
        ]),
      ],
    });
    expect(req.messages[0]!.parts).toEqual([
      { type: "text", text: "look", ext: { anthropic: { cacheControl: { type: "ephemeral" } } } },
      { type: "image", mime: "image/png", data: PNG },
      { type: "image", mime: "image/png", data: PNG },
      { type: "image", url: "https://x.test/a.jpg", detail: "low" },
      { type: "file", mime: "audio/wav", data: "UklGRg==" },
      { type: "file", mime: "audio/mpeg", data: "SUQz" },
      { type: "file", name: "a.pdf", mime: "application/pdf", data: "JVBERi0=" },
      { type: "file", fileId: "file-abc" },
    ]);
  });

  test("assistant: reasoning first, refusal as text, args parsed ('' → {}), Gemini signature from extra_content", () => {
    const req = decodeRequestOk({
      messages: [
        userMessage("q"),
        {
          role: "assistant",
          content: [
            { type: "text", text: "a" },
            { type: "refusal", refusal: "no" },
          ],
          reasoning_content: "thought",
          tool_calls: [
            { id: "c1", type: "function", function: { name: "f", arguments: "" } },
            {
              id: "c2",
              type: "function",
              function: { name: "g", arguments: '{"x":[1]}' },
              extra_content: { google: { thought_signature: "R0VN" } },
            },
          ],
        },
      ],
    });
    expect(req.messages[1]!.parts).toEqual([
      { type: "reasoning", text: "thought" },
      { type: "text", text: "a" },
      { type: "text", text: "no" },
      { type: "tool_call", id: "c1", name: "f", args: {} },
      {
        type: "tool_call",
        id: "c2",
        name: "g",
        args: { x: [1] },
        signature: { source: "gemini", value: "R0VN" },
      },
    ]);
  });

  test("thinking_blocks win over reasoning_content; untagged signatures are Anthropic's, tagged ones keep their origin", () => {
    const req = decodeRequestOk({
      messages: [
        userMessage("q"),
        {
          role: "assistant",
          content: "done",
          reasoning: "ignored when blocks exist",
          thinking_blocks: [
            { type: "thinking", thinking: "t1", signature: "EqQB" },
            { type: "thinking", thinking: "t2", signature: "llmr-g1:R0VN" },
            { type: "redacted_thinking", data: "opaque" },
          ],
        },
      ],
    });
    expect(req.messages[1]!.parts.slice(0, 3)).toEqual([
      { type: "reasoning", text: "t1", signature: { source: "anthropic", value: "EqQB" } },
      { type: "reasoning", text: "t2", signature: { source: "gemini", value: "R0VN" } },
      { type: "reasoning", text: "", redacted: "opaque" },
    ]);
  });

  test("`reasoning` (vLLM) is read when reasoning_content is absent", () => {
    const req = decodeRequestOk({
      messages: [userMessage("q"), { role: "assistant", content: "a", reasoning: "r" }],
    });
    expect(req.messages[1]!.parts[0]).toEqual({ type: "reasoning", text: "r" });
  });

  test("truncated arguments are repaired with a warning; garbage becomes {} with a warning", () => {
    const c = ctx();
    const req = decodeRequestOk(
      {
        messages: [
          userMessage("q"),
          {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: "c1",
                type: "function",
                function: { name: "f", arguments: '{"path":"/tmp/a","opts":{"deep":tr' },
              },
              { id: "c2", type: "function", function: { name: "f", arguments: '{"a":1,"b' } },
              { id: "c3", type: "function", function: { name: "f", arguments: "not json" } },
            ],
          },
        ],
      },
      c,
    );
    const args = req.messages[1]!.parts.map((p) => (p.type === "tool_call" ? p.args : null));
    expect(args[0]).toEqual({ path: "/tmp/a", opts: {} });
    expect(args[1]).toEqual({ a: 1 });
    expect(args[2]).toEqual({});
    expect(c.warnings.list.map((w) => w.code)).toEqual(["approximated", "approximated", "dropped"]);
  });

  test("consecutive tool messages → one user message of results; text after them stays a separate user message", () => {
    const req = decodeRequestOk({
      messages: [
        userMessage("q"),
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "a", type: "function", function: { name: "f", arguments: "{}" } },
            { id: "b", type: "function", function: { name: "g", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "a", content: "ra" },
        { role: "tool", tool_call_id: "b", content: [{ type: "text", text: "rb" }] },
        userMessage("next"),
      ],
    });
    expect(req.messages.slice(2)).toEqual([
      {
        role: "user",
        parts: [
          { type: "tool_result", callId: "a", name: "f", content: [{ type: "text", text: "ra" }] },
          { type: "tool_result", callId: "b", name: "g", content: [{ type: "text", text: "rb" }] },
        ],
      },
      { role: "user", parts: [{ type: "text", text: "next" }] },
    ]);
  });

  test("message fields without an equivalent (name, prefix) are reported, not silently lost", () => {
    const c = ctx();
    decodeRequestOk(
      {
        messages: [
          { role: "user", content: "q", name: "alice" },
          { role: "assistant", content: "a", prefix: true, annotations: [] },
        ],
      },
      c,
    );
    expect(c.warnings.list.map((w) => w.what)).toEqual(["messages[].name", "messages[].prefix"]);
  });

  test("legacy functions / function_call / function messages", () => {
    const req = decodeRequestOk({
      functions: [
        { name: "f", parameters: { type: "object", properties: { a: { type: "string" } } } },
      ],
      function_call: { name: "f" },
      messages: [
        userMessage("q"),
        { role: "assistant", content: null, function_call: { name: "f", arguments: '{"a":"x"}' } },
        { role: "function", name: "f", content: "done" },
      ],
    });
    expect(req.tools).toEqual([
      { name: "f", schema: { type: "object", properties: { a: { type: "string" } } } },
    ]);
    expect(req.toolChoice).toEqual({ type: "tool", name: "f" });
    const call = req.messages[1]!.parts[0]!;
    expect(call).toMatchObject({ type: "tool_call", name: "f", args: { a: "x" } });
    expect(req.messages[2]!.parts[0]).toMatchObject({
      type: "tool_result",
      callId: (call as { id: string }).id,
      name: "f",
    });
  });
});
