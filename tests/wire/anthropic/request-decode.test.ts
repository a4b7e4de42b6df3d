import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isRouterError, type IRRequest } from "../../../src/ir";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import { ctx, fixtureJson } from "./helpers";

const decode = (body: Record<string, unknown>, c = ctx()) => anthropicCodec.decodeRequest(body, c);

function ok(body: Record<string, unknown>, c = ctx()): IRRequest {
  const r = decode(body, c);
  if (isRouterError(r)) throw new Error(r.message);
  return r;
}

const CC = { type: "ephemeral" };

/** The shape Claude Code 2.1 sends (clients.md), trimmed to one of each feature. */
const claudeCode = {
  model: "my-group",
  max_tokens: 32000,
  stream: true,
  metadata: { user_id: "user_abc" },
  thinking: { type: "adaptive" },
  output_config: { effort: "high" },
  context_management: { edits: [{ type: "clear_thinking_20251015" }] },
  system: [
    { type: "text", text: "You are Claude Code." },
    { type: "text", text: "Be brief.", cache_control: CC },
  ],
  tools: [
    {
      name: "Read",
      description: "Read a file",
      input_schema: {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        properties: { path: { type: "string" } },
        additionalProperties: false,
      },
    },
    { type: "web_search_20250305", name: "web_search", max_uses: 3 },
    { name: "Bash", input_schema: { type: "object" }, cache_control: CC },
  ],
  messages: [
    { role: "user", content: "Read a.txt" },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Need the file.", signature: "EqSig==" },
        { type: "text", text: "Reading." },
        { type: "tool_use", id: "toolu_01", name: "Read", input: { path: "a.txt" } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_01", content: "hello", cache_control: CC },
      ],
    },
    { role: "system", content: "The user switched to plan mode." },
    {
      role: "assistant",
      content: [
        { type: "redacted_thinking", data: "opaque" },
        { type: "thinking", thinking: "", signature: "llmr-g1:CiQBgem" },
        { type: "tool_use", id: "toolu_02", name: "Bash", input: {} },
      ],
    },
    {
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: "toolu_02",
          is_error: true,
          content: [
            { type: "text", text: "exit 1" },
            {
              type: "image",
              source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
            },
          ],
        },
        { type: "text", text: "Fix it", cache_control: CC },
      ],
    },
  ],
};

describe("Anthropic request → IR", () => {
  test("a Claude Code request", () => {
    const c = ctx();
    const r = ok(claudeCode, c);
    expect(r.model).toBe("my-group");
    expect(r.stream).toBe(true);
    expect(r.maxTokens).toBe(32000);
    expect(r.user).toBe("user_abc");
    expect(r.reasoning).toEqual({ enabled: true, include: true, effort: "high" });
    expect(r.system).toEqual([
      { type: "text", text: "You are Claude Code." },
      { type: "text", text: "Be brief.", ext: { anthropic: { cacheControl: CC } } },
    ]);
    expect(r.ext).toEqual({ anthropic: { context_management: claudeCode.context_management } });
    expect(r.tools.map((t) => t.name)).toEqual(["Read", "Bash"]);
    expect(r.tools[1]).toEqual({
      name: "Bash",
      schema: { type: "object" },
      ext: { anthropic: { cacheControl: CC } },
    });
    expect(c.warnings.list).toContainEqual({
      code: "dropped",
      what: "tools.1",
      detail: "server tool web_search_20250305 runs only at Anthropic",
    });

    expect(r.messages.map((m) => m.role)).toEqual([
      "user",
      "assistant",
      "user",
      "system",
      "assistant",
      "user",
    ]);
    expect(r.messages[0]).toEqual({ role: "user", parts: [{ type: "text", text: "Read a.txt" }] });
    expect(r.messages[1]!.parts).toEqual([
      {
        type: "reasoning",
        text: "Need the file.",
        signature: { source: "anthropic", value: "EqSig==" },
      },
      { type: "text", text: "Reading." },
      { type: "tool_call", id: "toolu_01", name: "Read", args: { path: "a.txt" } },
    ]);
    expect(r.messages[2]!.parts).toEqual([
      {
        type: "tool_result",
        callId: "toolu_01",
        name: "Read",
        content: [{ type: "text", text: "hello" }],
        ext: { anthropic: { cacheControl: CC } },
      },
    ]);
    expect(r.messages[3]).toEqual({
      role: "system",
      parts: [{ type: "text", text: "The user switched to plan mode." }],
    });
    expect(r.messages[4]!.parts).toEqual([
      { type: "reasoning", text: "", redacted: "opaque" },
      // A Gemini call signature that travelled through this Anthropic client (tagged, in an empty
      // thinking block right before its call) goes back onto that call.
      {
        type: "tool_call",
        id: "toolu_02",
        name: "Bash",
        args: {},
        signature: { source: "gemini", value: "CiQBgem" },
      },
    ]);
    expect(r.messages[5]!.parts).toEqual([
      {
        type: "tool_result",
        callId: "toolu_02",
        name: "Bash",
        isError: true,
        content: [
          { type: "text", text: "exit 1" },
          { type: "image", mime: "image/png", data: "iVBORw0KGgo=" },
        ],
      },
      { type: "text", text: "Fix it", ext: { anthropic: { cacheControl: CC } } },
    ]);
  });

  test("media: image sources, and every document source", () => {
    const r = ok({
      model: "g",
      max_tokens: 10,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "url", url: "https://x/a.png" } },
            { type: "image", source: { type: "file", file_id: "file_1" } },
            {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" },
              title: "spec.pdf",
            },
            { type: "document", source: { type: "url", url: "https://x/a.pdf" } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "plain" } },
            {
              type: "document",
              source: {
                type: "content",
                content: [
                  { type: "text", text: "one" },
                  { type: "text", text: "two" },
                ],
              },
            },
            { type: "document", source: { type: "file", file_id: "file_2" } },
          ],
        },
      ],
    });
    expect(r.messages[0]!.parts).toEqual([
      { type: "image", url: "https://x/a.png" },
      { type: "image", fileId: "file_1" },
      { type: "file", mime: "application/pdf", data: "JVBERi0=", name: "spec.pdf" },
      { type: "file", mime: "application/pdf", url: "https://x/a.pdf" },
      { type: "file", mime: "text/plain", text: "plain" },
      { type: "file", mime: "text/plain", text: "one\n\ntwo" },
      { type: "file", fileId: "file_2" },
    ]);
  });

  test("parameters: sampling, stops, thinking budget, tool_choice with disable_parallel_tool_use, structured output", () => {
    const r = ok({
      model: "g",
      max_tokens: 2048,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["END"],
      thinking: { type: "enabled", budget_tokens: 1024 },
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      output_config: {
        format: { type: "json_schema", schema: { type: "object", properties: {} } },
      },
      messages: [{ role: "user", content: "x" }],
    });
    expect(r).toMatchObject({
      maxTokens: 2048,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      stop: ["END"],
      toolChoice: { type: "required" },
      parallelToolCalls: false,
    });
    expect(r.reasoning).toEqual({ enabled: true, budget: 1024, include: true });
    expect(r.responseFormat).toEqual({
      type: "json_schema",
      schema: { type: "object", properties: {} },
    });
    expect(
      ok({ model: "g", messages: [], tool_choice: { type: "tool", name: "f" } }).toolChoice,
    ).toEqual({ type: "tool", name: "f" });
    expect(ok({ model: "g", messages: [], thinking: { type: "disabled" } }).reasoning).toEqual({
      enabled: false,
    });
    expect(
      ok({
        model: "g",
        messages: [],
        thinking: { type: "enabled", budget_tokens: 2000, display: "omitted" },
      }).reasoning,
    ).toEqual({ enabled: true, budget: 2000, include: false });
    expect(ok({ model: "g", messages: [], output_config: { effort: "max" } }).reasoning).toEqual({
      effort: "xhigh",
    });
  });

  test("a Gemini-tagged thinking block with text, or not before a call, stays reasoning", () => {
    const sig = "llmr-g1:Zm9v";
    const r = ok({
      model: "g",
      messages: [
        { role: "user", content: "x" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "a thought", signature: sig },
            { type: "tool_use", id: "t1", name: "f", input: {} },
            { type: "thinking", thinking: "", signature: sig },
            { type: "text", text: "done" },
          ],
        },
      ],
    });
    expect(
      r.messages[1]!.parts.map((p) => [p.type, "signature" in p ? p.signature?.source : undefined]),
    ).toEqual([
      ["reasoning", "gemini"],
      ["tool_call", undefined],
      ["reasoning", "gemini"],
      ["text", undefined],
    ]);
  });

  test("server tool blocks in history and citations are dropped with warnings", () => {
    const c = ctx();
    const r = ok(
      {
        model: "g",
        messages: [
          { role: "user", content: "search" },
          {
            role: "assistant",
            content: [
              {
                type: "server_tool_use",
                id: "srvtoolu_1",
                name: "web_search",
                input: { query: "x" },
              },
              { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] },
              {
                type: "text",
                text: "Found it.",
                citations: [{ type: "web_search_result_location", url: "https://x" }],
              },
            ],
          },
        ],
      },
      c,
    );
    expect(r.messages[1]!.parts).toEqual([{ type: "text", text: "Found it." }]);
    expect(c.warnings.list.map((w) => w.what)).toEqual([
      "content.server_tool_use",
      "content.web_search_tool_result",
      "citations",
    ]);
  });

  test.each([
    "cache-read",
    "max-tokens",
    "redacted-thinking",
    "refusal-stream",
    "thinking-stream",
    "thinking-tool-use-stream",
    "tool-use-parallel",
    "tool-use-parallel-stream",
  ])("recorded request %s decodes", (name) => {
    const body = fixtureJson(`anthropic/${name}.request.json`);
    const r = ok(body);
    expect(r.model).toBe(body.model);
    expect(r.messages.length).toBe(body.messages.length);
    expect(r.stream).toBe(body.stream === true);
  });

  test("recorded: top-level automatic cache_control is kept for the same-format path; tools keep their schema", () => {
    expect(ok(fixtureJson("anthropic/cache-read.request.json")).ext?.anthropic).toEqual({
      cache_control: { ttl: "5m", type: "ephemeral" },
    });
    const r = ok(fixtureJson("anthropic/tool-use-parallel.request.json"));
    expect(r.tools[0]!.schema).toMatchObject({ additionalProperties: false, required: ["name"] });
    expect(r.toolChoice).toEqual({ type: "auto" });
    expect(r.system[0]!.text).toContain("retrieve_entity_info");
  });

  test.each([
    [{ model: 1, messages: [] }, "model: expected a string"],
    [{ model: "g", messages: {} }, "messages: expected an array"],
    [{ model: "g", messages: [], max_tokens: "9" }, "max_tokens: expected a number"],
    [{ model: "g", messages: [], max_tokens: 1.5 }, "max_tokens: expected an integer"],
    [{ model: "g", messages: [{ role: "bot", content: "x" }] }, "messages.0.role"],
    [
      { model: "g", messages: [{ role: "user", content: 5 }] },
      "messages.0.content: expected an array",
    ],
    [
      {
        model: "g",
        messages: [
          { role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: "{}" }] },
        ],
      },
      "messages.0.content.0.input: expected an object",
    ],
    [
      {
        model: "g",
        messages: [
          { role: "user", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] },
        ],
      },
      "messages.0.content.0.type: tool_use blocks are only allowed in assistant messages",
    ],
    [
      {
        model: "g",
        messages: [{ role: "user", content: [{ type: "image", source: { type: "ftp" } }] }],
      },
      "messages.0.content.0.source.type",
    ],
    [
      { model: "g", messages: [], tools: [{ name: "f" }] },
      "tools.0.input_schema: expected an object",
    ],
    [{ model: "g", messages: [], thinking: { type: "on" } }, "thinking.type"],
    [
      { model: "g", messages: [], thinking: { type: "enabled" } },
      "thinking.budget_tokens: field required",
    ],
    [{ model: "g", messages: [], tool_choice: { type: "maybe" } }, "tool_choice.type"],
    [{ model: "g", messages: [], system: [{ type: "image" }] }, "system.0.type"],
    [{ model: "g", messages: [], stream: "yes" }, "stream: expected a boolean"],
  ])("wrong types → 400 naming the field: %j", (body, expected) => {
    const r = decode(body as Record<string, unknown>);
    expect(isRouterError(r)).toBe(true);
    expect(r).toMatchObject({ code: "invalid_request", status: 400 });
    expect((r as { message: string }).message).toContain(expected);
  });

  test("malformed-bodies: arbitrary JSON never throws", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            "model",
            "messages",
            "system",
            "tools",
            "tool_choice",
            "thinking",
            "max_tokens",
            "metadata",
            "output_config",
            "x",
          ),
          fc.jsonValue(),
        ),
        (body) => {
          const r = decode({ model: "g", messages: [], ...body });
          expect(isRouterError(r) || Array.isArray(r.messages)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            role: fc.constantFrom("user", "assistant", "system"),
            content: fc.oneof(
              fc.string(),
              fc.array(
                fc.record(
                  {
                    type: fc.constantFrom(
                      "text",
                      "image",
                      "document",
                      "tool_use",
                      "tool_result",
                      "thinking",
                      "redacted_thinking",
                      "x",
                    ),
                    text: fc.jsonValue(),
                    input: fc.jsonValue(),
                    source: fc.jsonValue(),
                    content: fc.jsonValue(),
                  },
                  { requiredKeys: ["type"] },
                ),
              ),
            ),
          }),
        ),
        (messages) => {
          const r = decode({ model: "g", messages });
          expect(isRouterError(r) || r.messages.length === messages.length).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
