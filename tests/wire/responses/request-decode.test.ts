import { describe, expect, test } from "bun:test";
import { isRouterError, type RouterError } from "../../../src/ir/error";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { growth } from "../scale";
import { APPLY_PATCH_GRAMMAR, codexRequest, PATCH } from "./codex-request";
import { ctx, decodeRequestOk, warnedFields } from "./helpers";

const decodeErr = (body: Record<string, unknown>): RouterError => {
  const out = responsesCodec.decodeRequest({ model: "g", ...body }, ctx());
  if (!isRouterError(out)) throw new Error("expected an error");
  return out;
};

const user = (text: string) => ({ role: "user", content: text });

describe("a Codex request", () => {
  test("instructions and the leading developer message are the system prompt; turns merge by side", () => {
    const c = ctx();
    const req = decodeRequestOk(codexRequest(), c);
    expect(req.model).toBe("codex-group");
    expect(req.stream).toBe(true);
    expect(req.system.map((p) => p.text)).toEqual([
      "You are Codex, a coding agent running in a terminal.",
      "<permissions instructions>sandbox: workspace-write</permissions instructions>",
    ]);
    expect(req.messages.map((m) => m.role)).toEqual([
      "user",
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
    ]);
    expect(req.messages[4]).toEqual({
      role: "assistant",
      parts: [
        {
          type: "reasoning",
          text: "",
          signature: { source: "responses", value: "gAAAAABo-enc-2" },
        },
        { type: "text", text: "The file says hello; patching it now." },
        { type: "tool_call", id: "call_patch_1", name: "apply_patch", args: { input: PATCH } },
      ],
    });
    expect(req.messages[2]!.parts).toEqual([
      {
        type: "reasoning",
        text: "**Reading the file**",
        signature: { source: "responses", value: "gAAAAABo-enc-1" },
      },
      {
        type: "tool_call",
        id: "call_shell_1",
        name: "shell",
        args: { command: ["cat", "notes.txt"], workdir: "/work/demo" },
      },
    ]);
    // The namespaced call and its result carry the flattened name.
    expect(req.messages[6]!.parts[0]).toMatchObject({ name: "mcp__docs__search" });
    expect(req.messages[7]!.parts[0]).toEqual({
      type: "tool_result",
      callId: "call_docs_1",
      name: "mcp__docs__search",
      content: [{ type: "text", text: "Lark is a parsing toolkit." }],
    });
    expect(req.toolChoice).toEqual({ type: "auto" });
    expect(req.parallelToolCalls).toBe(false);
    expect(req.reasoning).toEqual({ effort: "medium", include: true });
    expect(req.promptCacheKey).toBe("019a-thread-id");
    expect(req.verbosity).toBe("low");
    // store:false, include of encrypted reasoning and client_metadata say nothing to warn about.
    expect(warnedFields(c)).toEqual(["tools[].type=custom", "tools[].type=web_search"]);
  });

  test("tools: function as is, apply_patch as one string with its grammar, the namespace flattened", () => {
    const c = ctx();
    const req = decodeRequestOk(codexRequest(), c);
    expect(req.tools.map((t) => t.name)).toEqual(["shell", "apply_patch", "mcp__docs__search"]);
    expect(req.tools[0]).toMatchObject({ strict: false, schema: { required: ["command"] } });
    const patch = req.tools[1]!;
    expect(patch.freeform).toEqual({
      format: { type: "grammar", syntax: "lark", definition: APPLY_PATCH_GRAMMAR },
    });
    expect(patch.schema).toMatchObject({
      type: "object",
      required: ["input"],
      additionalProperties: false,
    });
    const input = (patch.schema.properties as Record<string, { type: string; description: string }>)
      .input!;
    expect(input.type).toBe("string");
    expect(input.description).toContain("lark grammar");
    expect(input.description).toContain('begin_patch: "*** Begin Patch" LF');
    expect(req.tools[2]!.description).toBe("Tools of the docs MCP server.\n\nSearches the docs.");
    expect([...c.clientTools]).toEqual([
      ["apply_patch", { name: "apply_patch", freeform: true }],
      ["mcp__docs__search", { name: "search", namespace: "mcp__docs" }],
    ]);
  });
});

describe("input", () => {
  test("a string is one user message; instructions come first", () => {
    const req = decodeRequestOk({ instructions: "Be brief.", input: "hi" });
    expect(req.system).toEqual([{ type: "text", text: "Be brief." }]);
    expect(req.messages).toEqual([{ role: "user", parts: [{ type: "text", text: "hi" }] }]);
  });

  test("system and developer messages later in the conversation stay where they were", () => {
    const req = decodeRequestOk({
      input: [
        { role: "system", content: "s0" },
        user("u1"),
        { type: "message", role: "developer", content: [{ type: "input_text", text: "d1" }] },
        user("u2"),
      ],
    });
    expect(req.system).toEqual([{ type: "text", text: "s0" }]);
    expect(req.messages.map((m) => [m.role, m.parts[0]])).toEqual([
      ["user", { type: "text", text: "u1" }],
      ["system", { type: "text", text: "d1" }],
      ["user", { type: "text", text: "u2" }],
    ]);
  });

  test("images by URL, data URL and file id; files by data URL, bare base64, id and URL", () => {
    const req = decodeRequestOk({
      input: [
        {
          role: "user",
          content: [
            { type: "input_image", image_url: "https://x.test/a.png", detail: "high" },
            { type: "input_image", image_url: "data:image/jpeg;base64,/9j/AAAA", detail: "auto" },
            { type: "input_image", file_id: "file-img" },
            {
              type: "input_file",
              filename: "a.pdf",
              file_data: "data:application/pdf;base64,JVBERi0x",
            },
            { type: "input_file", filename: "notes.txt", file_data: "aGVsbG8=" },
            { type: "input_file", file_id: "file-doc" },
            { type: "input_file", file_url: "https://x.test/b.pdf", filename: "b.pdf" },
          ],
        },
      ],
    });
    expect(req.messages[0]!.parts).toEqual([
      { type: "image", url: "https://x.test/a.png", detail: "high" },
      { type: "image", mime: "image/jpeg", data: "/9j/AAAA" },
      { type: "image", fileId: "file-img" },
      { type: "file", name: "a.pdf", mime: "application/pdf", data: "JVBERi0x" },
      { type: "file", name: "notes.txt", mime: "text/plain", data: "aGVsbG8=" },
      { type: "file", fileId: "file-doc" },
      { type: "file", name: "b.pdf", url: "https://x.test/b.pdf" },
    ]);
  });

  test("assistant output_text and refusal are text; empty texts vanish", () => {
    const req = decodeRequestOk({
      input: [
        user("q"),
        {
          type: "message",
          role: "assistant",
          content: [
            { type: "output_text", text: "a", annotations: [] },
            { type: "output_text", text: "" },
            { type: "refusal", refusal: "no" },
          ],
        },
      ],
    });
    expect(req.messages[1]).toEqual({
      role: "assistant",
      parts: [
        { type: "text", text: "a" },
        { type: "text", text: "no" },
      ],
    });
  });

  test("tool outputs: a string, or parts with images; consecutive outputs are one user message", () => {
    const req = decodeRequestOk({
      input: [
        user("q"),
        { type: "function_call", call_id: "c1", name: "shot", arguments: "{}" },
        { type: "function_call", call_id: "c2", name: "shot", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "done" },
        {
          type: "function_call_output",
          call_id: "c2",
          output: [
            { type: "input_text", text: "see" },
            { type: "input_image", image_url: "data:image/png;base64,iVBORw0K" },
          ],
        },
      ],
    });
    expect(req.messages.slice(1)).toEqual([
      {
        role: "assistant",
        parts: [
          { type: "tool_call", id: "c1", name: "shot", args: {} },
          { type: "tool_call", id: "c2", name: "shot", args: {} },
        ],
      },
      {
        role: "user",
        parts: [
          {
            type: "tool_result",
            callId: "c1",
            name: "shot",
            content: [{ type: "text", text: "done" }],
          },
          {
            type: "tool_result",
            callId: "c2",
            name: "shot",
            content: [
              { type: "text", text: "see" },
              { type: "image", mime: "image/png", data: "iVBORw0K" },
            ],
          },
        ],
      },
    ]);
  });

  test("arguments: an object is taken, broken JSON becomes {} with a warning, truncated JSON is closed", () => {
    const c = ctx();
    const req = decodeRequestOk(
      {
        input: [
          user("q"),
          { type: "function_call", call_id: "a", name: "f", arguments: { x: 1 } },
          { type: "function_call", call_id: "b", name: "f", arguments: "not json" },
          { type: "function_call", call_id: "c", name: "f", arguments: '{"x":[1,2' },
        ],
      },
      c,
    );
    expect(req.messages[1]!.parts.map((p) => (p.type === "tool_call" ? p.args : null))).toEqual([
      { x: 1 },
      {},
      { x: [1, 2] },
    ]);
    expect(warnedFields(c)).toEqual(["input[2].arguments", "input[3].arguments"]);
  });

  test("reasoning: summaries joined, raw text without summary, own vs foreign signatures, empty dropped", () => {
    const req = decodeRequestOk({
      input: [
        user("q"),
        {
          type: "reasoning",
          summary: [
            { type: "summary_text", text: "one" },
            { type: "summary_text", text: "two" },
          ],
          encrypted_content: "enc",
        },
        { type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "raw" }] },
        { type: "reasoning", summary: [], encrypted_content: "llmr-a1:claude-sig" },
        { type: "reasoning", summary: [], encrypted_content: null },
        { type: "message", role: "assistant", content: "ok" },
      ],
    });
    expect(req.messages[1]!.parts).toEqual([
      { type: "reasoning", text: "one\n\ntwo", signature: { source: "responses", value: "enc" } },
      { type: "reasoning", text: "raw" },
      { type: "reasoning", text: "", signature: { source: "anthropic", value: "claude-sig" } },
      { type: "text", text: "ok" },
    ]);
  });

  test("unknown items and content parts are dropped with one warning per type, never an error", () => {
    const c = ctx();
    const req = decodeRequestOk(
      {
        input: [
          user("q"),
          { type: "web_search_call", id: "ws_1", status: "completed" },
          { type: "local_shell_call", call_id: "l1", action: {} },
          { type: "local_shell_call", call_id: "l2", action: {} },
          { type: "compaction", encrypted_content: "x" },
          { type: "__proto__" },
          {
            role: "user",
            content: [
              { type: "input_audio", data: "x" },
              { type: "input_text", text: "t" },
            ],
          },
        ],
      },
      c,
    );
    expect(req.messages).toEqual([
      { role: "user", parts: [{ type: "text", text: "q" }] },
      { role: "user", parts: [{ type: "text", text: "t" }] },
    ]);
    expect(warnedFields(c)).toEqual([
      "input[].type=web_search_call",
      "input[].type=local_shell_call",
      "input[].type=compaction",
      "input[].type=__proto__",
      "input[].content[].type=input_audio",
    ]);
  });

  test("Responses Lite: tools declared in an additional_tools item are tools", () => {
    const c = ctx();
    const req = decodeRequestOk(
      {
        input: [
          {
            type: "additional_tools",
            role: "developer",
            tools: [{ type: "function", name: "shell", parameters: null }],
          },
          user("q"),
        ],
      },
      c,
    );
    expect(req.tools).toEqual([{ name: "shell", schema: { type: "object", properties: {} } }]);
    expect(req.messages).toHaveLength(1);
    expect(warnedFields(c)).toEqual([]);
  });
});

describe("namespaces", () => {
  test("flattened names never collide with another tool's, whatever the order", () => {
    const c = ctx();
    const fn = (name: string) => ({ type: "function", name });
    const req = decodeRequestOk(
      {
        tools: [
          { type: "namespace", name: "a", tools: [fn("b"), { type: "custom", name: "p" }] },
          { type: "namespace", name: "a", tools: [fn("b")] },
          fn("a__b"),
          fn("a__b_2"),
          { type: "namespace", name: "x", tools: [fn("b"), { type: "web_search" }] },
        ],
        input: [
          user("q"),
          { type: "function_call", call_id: "1", name: "b", namespace: "x", arguments: "{}" },
          { type: "custom_tool_call", call_id: "2", name: "p", namespace: "a", input: "raw" },
          { type: "function_call", call_id: "3", name: "b", namespace: "nope", arguments: "{}" },
        ],
      },
      c,
    );
    expect(req.tools.map((t) => t.name)).toEqual([
      "a__b_3",
      "a__p",
      "a__b_4",
      "a__b",
      "a__b_2",
      "x__b",
    ]);
    expect(c.clientTools.get("a__p")).toEqual({ name: "p", namespace: "a", freeform: true });
    expect(c.clientTools.get("a__b_4")).toEqual({ name: "b", namespace: "a" });
    expect(c.clientTools.has("a__b")).toBe(false);
    expect(
      req.messages[1]!.parts.map((p) => (p.type === "tool_call" ? [p.name, p.args] : null)),
    ).toEqual([
      ["x__b", {}],
      ["a__p", { input: "raw" }],
      ["b", {}],
    ]);
    expect(warnedFields(c)).toEqual(["tools[].type=custom", "tools[].type=web_search"]);
  });

  test("tool_choice names a namespaced tool by namespace, or by a name only one namespace has", () => {
    const tools = [
      { type: "namespace", name: "mcp__docs", tools: [{ type: "function", name: "search" }] },
      {
        type: "namespace",
        name: "mcp__web",
        tools: [
          { type: "function", name: "fetch" },
          { type: "function", name: "search" },
        ],
      },
    ];
    const choose = (tool_choice: unknown) =>
      decodeRequestOk({ tools, tool_choice, input: "q" }).toolChoice;
    expect(choose({ type: "function", name: "search", namespace: "mcp__web" })).toEqual({
      type: "tool",
      name: "mcp__web__search",
    });
    expect(choose({ type: "function", name: "fetch" })).toEqual({
      type: "tool",
      name: "mcp__web__fetch",
    });
    expect(choose({ type: "function", name: "mcp__docs__search" })).toEqual({
      type: "tool",
      name: "mcp__docs__search",
    });
    // Two namespaces have it: left as the client wrote it.
    expect(choose({ type: "function", name: "search" })).toEqual({ type: "tool", name: "search" });
  });
});

describe("parameters", () => {
  test("tool_choice modes, custom tools, and what cannot be said (approximated, with a warning)", () => {
    const tools = [{ type: "custom", name: "apply_patch" }];
    const decode = (tool_choice: unknown) => {
      const c = ctx();
      return [
        decodeRequestOk({ tools, tool_choice, input: "q" }, c).toolChoice,
        warnedFields(c).slice(1),
      ];
    };
    expect(decode("required")).toEqual([{ type: "required" }, []]);
    expect(decode("none")).toEqual([{ type: "none" }, []]);
    expect(decode({ type: "custom", name: "apply_patch" })).toEqual([
      { type: "tool", name: "apply_patch" },
      [],
    ]);
    expect(decode({ type: "allowed_tools", mode: "required", tools: [] })).toEqual([
      { type: "required" },
      ["tool_choice.allowed_tools"],
    ]);
    expect(decode({ type: "web_search_preview" })).toEqual([
      { type: "auto" },
      ["tool_choice.type=web_search_preview"],
    ]);
  });

  test("sampling, limits, users, cache key, stop (a Chat field, taken leniently)", () => {
    const req = decodeRequestOk({
      input: "q",
      max_output_tokens: 500,
      temperature: 0.3,
      top_p: 0.9,
      stop: "END",
      safety_identifier: "safe-1",
      user: "legacy",
      prompt_cache_key: "k",
      parallel_tool_calls: true,
    });
    expect(req).toMatchObject({
      maxTokens: 500,
      temperature: 0.3,
      topP: 0.9,
      stop: ["END"],
      user: "safe-1",
      promptCacheKey: "k",
      parallelToolCalls: true,
    });
    expect(decodeRequestOk({ input: "q", user: "u", stop: ["a", "b"] })).toMatchObject({
      user: "u",
      stop: ["a", "b"],
    });
  });

  test("reasoning: efforts as they are, max approximated, unknown dropped, any summary shows reasoning", () => {
    const decode = (reasoning: unknown) => {
      const c = ctx();
      return [decodeRequestOk({ input: "q", reasoning }, c).reasoning, warnedFields(c)];
    };
    expect(decode({ effort: "none" })).toEqual([{ effort: "none" }, []]);
    expect(decode({ effort: "minimal", summary: "detailed" })).toEqual([
      { effort: "minimal", include: true },
      [],
    ]);
    expect(decode({ effort: "max" })).toEqual([{ effort: "xhigh" }, ["reasoning.effort"]]);
    expect(decode({ effort: "extreme" })).toEqual([undefined, ["reasoning.effort"]]);
    expect(decode({ summary: "auto", context: "all_turns" })).toEqual([
      { include: true },
      ["reasoning.context"],
    ]);
    expect(decode({ effort: null, summary: null })).toEqual([undefined, []]);
  });

  test("text.format: json_schema, json_object, text; verbosity kept for the encoders", () => {
    const c = ctx();
    const req = decodeRequestOk(
      {
        input: "q",
        text: {
          format: {
            type: "json_schema",
            name: "answer",
            schema: { type: "object" },
            strict: true,
            description: "d",
          },
          verbosity: "high",
        },
      },
      c,
    );
    expect(req.responseFormat).toEqual({
      type: "json_schema",
      name: "answer",
      schema: { type: "object" },
      strict: true,
    });
    expect(req.verbosity).toBe("high");
    expect(warnedFields(c)).toEqual(["text.format.description"]);
    expect(
      decodeRequestOk({ input: "q", text: { format: { type: "json_object" } } }).responseFormat,
    ).toEqual({ type: "json" });
    expect(
      decodeRequestOk({ input: "q", text: { format: { type: "text" } } }).responseFormat,
    ).toEqual({ type: "text" });
  });

  test("what the upstream cannot honour is reported, once each; harmless settings are not", () => {
    const c = ctx();
    decodeRequestOk(
      {
        input: "q",
        store: true,
        metadata: { team: "a" },
        include: ["reasoning.encrypted_content", "message.output_text.logprobs"],
        service_tier: "flex",
        truncation: "auto",
        top_logprobs: 3,
        max_tool_calls: 2,
        context_management: [{ type: "compaction", compact_threshold: 1000 }],
        frobnicate: 1,
        stream_options: { include_obfuscation: false },
        client_metadata: { a: "b" },
      },
      c,
    );
    expect(warnedFields(c)).toEqual([
      "store",
      "metadata",
      "include=message.output_text.logprobs",
      "service_tier",
      "truncation",
      "top_logprobs",
      "max_tool_calls",
      "context_management",
      "frobnicate",
    ]);
    const quiet = ctx();
    decodeRequestOk(
      {
        input: "q",
        store: false,
        metadata: {},
        service_tier: "auto",
        truncation: "disabled",
        context_management: [],
      },
      quiet,
    );
    expect(warnedFields(quiet)).toEqual([]);
  });
});

describe("refusals: a 400 naming the field, never a throw", () => {
  test("conversation state the router does not keep", () => {
    const err = decodeErr({ input: "q", previous_response_id: "resp_123" });
    expect(err.status).toBe(400);
    expect(err.message).toContain("previous_response_id");
    expect(err.message).toContain("keeps no conversation state");
    expect(decodeErr({ input: "q", conversation: "conv_1" }).message).toStartWith("conversation:");
    expect(decodeErr({ input: "q", prompt: { id: "pmpt_1" } }).message).toStartWith("prompt:");
    expect(decodeErr({ input: "q", background: true }).message).toStartWith("background:");
  });

  test.each([
    [{ input: 3 }, "input"],
    [{ input: ["x"] }, "input[0]"],
    [{ input: [{ content: "no role" }] }, "input[0].type"],
    [{ input: [{ role: "tool", content: "x" }] }, "input[0].role"],
    [{ input: [{ type: "message", content: "x" }] }, "input[0].role"],
    [{ input: [{ role: "user", content: 5 }] }, "input[0].content"],
    [{ input: [{ role: "user", content: [{ type: "input_image" }] }] }, "input[0].content[0]"],
    [
      { input: [{ role: "user", content: [{ type: "input_file", filename: "a" }] }] },
      "input[0].content[0]",
    ],
    [{ input: [{ type: "function_call", name: "f", arguments: "{}" }] }, "input[0].call_id"],
    [
      { input: [{ type: "function_call", call_id: "c", name: "f", arguments: 7 }] },
      "input[0].arguments",
    ],
    [{ input: [{ type: "function_call_output", call_id: "c" }] }, "input[0].output"],
    [{ input: [{ type: "custom_tool_call", call_id: "c", name: "p" }] }, "input[0].input"],
    [{ tools: [{ name: "f" }] }, "tools[0].type"],
    [{ tools: [{ type: "function" }] }, "tools[0].name"],
    [{ tools: [{ type: "namespace", name: "n" }] }, "tools[0].tools"],
    [
      { tools: [{ type: "namespace", name: "n", tools: [{ type: "function", name: 1 }] }] },
      "tools[0].tools[0].name",
    ],
    [{ tools: "all" }, "tools"],
    [{ tool_choice: 1 }, "tool_choice"],
    [{ tool_choice: "any" }, "tool_choice"],
    [{ tool_choice: { type: "function" } }, "tool_choice.name"],
    [{ max_output_tokens: 0 }, "max_output_tokens"],
    [{ max_output_tokens: 1.5 }, "max_output_tokens"],
    [{ temperature: "hot" }, "temperature"],
    [{ stream: "yes" }, "stream"],
    [{ reasoning: "high" }, "reasoning"],
    [{ reasoning: { effort: 3 } }, "reasoning.effort"],
    [{ text: { format: { type: "yaml" } } }, "text.format.type"],
    [{ text: { format: { type: "json_schema", name: "x" } } }, "text.format.schema"],
    [{ metadata: "m" }, "metadata"],
    [{ include: [1] }, "include[0]"],
    [{ stop: [1] }, "stop"],
    [{ model: 5 }, "model"],
  ])("%j → 400 at %s", (body, field) => {
    const err = decodeErr({ input: "q", ...body });
    expect(err.code).toBe("invalid_request");
    expect(err.message).toStartWith(`${field}: `);
  });

  test("deeply nested arguments and schemas are data: no throw, no recursion", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    let schema: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) schema = { items: schema };
    const c = ctx();
    const req = decodeRequestOk(
      {
        tools: [{ type: "function", name: "f", parameters: schema }],
        input: [user("q"), { type: "function_call", call_id: "c", name: "f", arguments: deep }],
      },
      c,
    );
    expect(req.messages[1]!.parts[0]).toMatchObject({ args: {} });
    expect(req.tools[0]!.schema).toBe(schema);
  });
});

describe("scale", () => {
  test("input items decode in time linear in their number", () => {
    const body = (n: number) => {
      const input: unknown[] = [user("go")];
      for (let i = 0; i < n / 4; i++)
        input.push(
          {
            type: "reasoning",
            summary: [{ type: "summary_text", text: "t" }],
            encrypted_content: "e",
          },
          { type: "function_call", call_id: `c${i}`, name: "f", arguments: `{"i":${i}}` },
          { type: "function_call_output", call_id: `c${i}`, output: "r" },
          { type: "web_search_call", id: `w${i}` },
        );
      return { model: "g", input, tools: [{ type: "function", name: "f" }] };
    };
    const bodies = new Map([12_500, 100_000].map((n) => [n, body(n)]));
    const ratio = growth((n) => {
      const out = responsesCodec.decodeRequest(bodies.get(n)!, ctx());
      if (isRouterError(out)) throw new Error(out.message);
    }, 12_500);
    // Linear: about 8; quadratic merging would be about 64.
    expect(ratio).toBeLessThan(24);
  });
});
