import { describe, expect, test } from "bun:test";
import { isRouterError, type IRRequest, type Message } from "../../../src/ir";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import type { EncodeRequestContext } from "../../../src/wire/codec";
import { validateMessages } from "../../mocks/anthropic/validate";
import { ctx } from "./helpers";

const req = (over: Partial<IRRequest>): IRRequest => ({
  model: "grp",
  system: [],
  messages: [{ role: "user", parts: [{ type: "text", text: "hi" }] }],
  tools: [],
  stream: false,
  ...over,
});

/** Encodes and checks the body against the strict mock's copy of the API's validation rules. */
function encode(
  r: IRRequest,
  c: EncodeRequestContext = ctx(),
  signatures: Record<string, string> = {},
): any {
  const out = anthropicCodec.encodeRequest(r, c);
  if (isRouterError(out)) throw new Error(`unexpected error: ${out.message}`);
  validateMessages(out, {
    countTokens: false,
    betas: [],
    signatures: new Map(Object.entries(signatures)),
  });
  return out;
}

function refused(r: IRRequest): string {
  const out = anthropicCodec.encodeRequest(r, ctx());
  if (!isRouterError(out)) throw new Error("expected a RouterError");
  expect(out).toMatchObject({ code: "invalid_request", status: 400 });
  return out.message;
}

const user = (...parts: Extract<Message, { role: "user" }>["parts"]): Message => ({
  role: "user",
  parts,
});
const asst = (...parts: Extract<Message, { role: "assistant" }>["parts"]): Message => ({
  role: "assistant",
  parts,
});
const text = (t: string) => ({ type: "text" as const, text: t });
const call = (id: string, name = "f", args: Record<string, unknown> = {}) => ({
  type: "tool_call" as const,
  id,
  name,
  args,
});
const result = (callId: string, t = "ok") => ({
  type: "tool_result" as const,
  callId,
  content: [text(t)],
});
const whats = (c: EncodeRequestContext) => c.warnings.list.map((w) => `${w.code}:${w.what}`);

describe("system prompt and turn structure", () => {
  test("system parts keep cache_control; leading system messages join silently, later ones are hoisted with a warning", () => {
    const c = ctx();
    const out = encode(
      req({
        system: [
          { type: "text", text: "A", ext: { anthropic: { cacheControl: { type: "ephemeral" } } } },
        ],
        messages: [
          { role: "system", parts: [text("B")] },
          user(text("q")),
          asst(text("a")),
          { role: "system", parts: [text("C")] },
          user(text("q2")),
        ],
      }),
      c,
    );
    expect(out.system).toEqual([
      { type: "text", text: "A", cache_control: { type: "ephemeral" } },
      { type: "text", text: "B" },
      { type: "text", text: "C" },
    ]);
    expect(out.messages.map((m: any) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(whats(c)).toEqual(["approximated:messages.system"]);
  });

  test("same-role neighbours merge; empty and whitespace text vanish; an assistant-first conversation gets a '.' opener", () => {
    const c = ctx();
    const out = encode(
      req({
        messages: [
          asst(text("prefilled?")),
          user(text("  ")),
          user(text("one")),
          user(text("")),
          user(text("two")),
          asst(text("ans")),
        ],
      }),
      c,
    );
    expect(out.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "." }] },
      { role: "assistant", content: [{ type: "text", text: "prefilled?" }] },
      { role: "user", content: [text("one"), text("two")] },
      { role: "assistant", content: [text("ans")] },
    ]);
    expect(whats(c)).toContain("approximated:messages");
  });

  test("a request with no conversation left still sends one user turn", () => {
    expect(
      encode(req({ messages: [{ role: "system", parts: [text("only system")] }] })).messages,
    ).toEqual([{ role: "user", content: [text(".")] }]);
  });

  test("a final assistant prefill loses its trailing whitespace", () => {
    const out = encode(req({ messages: [user(text("q")), asst(text("The answer is "))] }));
    expect(out.messages[1].content).toEqual([text("The answer is")]);
  });
});

describe("tool calls and results", () => {
  test("OpenAI-style: separate tool messages become one user turn, results first, text after", () => {
    const out = encode(
      req({
        messages: [
          user(text("go")),
          asst(text("calling"), call("c1"), call("c2")),
          user(result("c2", "two")),
          user(result("c1", "one")),
          user(text("and now?")),
        ],
      }),
    );
    expect(out.messages[2]).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "c1", content: "one" },
        { type: "tool_result", tool_use_id: "c2", content: "two" },
        text("and now?"),
      ],
    });
  });

  test("results placed after text are moved first", () => {
    const out = encode(
      req({ messages: [user(text("go")), asst(call("c1")), user(text("note"), result("c1"))] }),
    );
    expect(out.messages[2].content.map((b: any) => b.type)).toEqual(["tool_result", "text"]);
  });

  test("an orphan call gets an error result; a result without its call is dropped", () => {
    const c = ctx();
    const out = encode(
      req({
        messages: [
          user(text("go")),
          asst(call("c1"), call("c2")),
          user(result("c1"), result("zz")),
          asst(text("done"), call("c3")),
        ],
      }),
      c,
    );
    expect(out.messages[2].content).toEqual([
      { type: "tool_result", tool_use_id: "c1", content: "ok" },
      { type: "tool_result", tool_use_id: "c2", is_error: true, content: "(no result)" },
    ]);
    expect(out.messages.at(-1)).toEqual({
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "c3", is_error: true, content: "(no result)" }],
    });
    expect(whats(c)).toEqual([
      "dropped:tool_result",
      "approximated:tool_result",
      "approximated:tool_result",
    ]);
  });

  test("a user turn of stray results only disappears and the assistant turns around it merge", () => {
    const out = encode(
      req({
        messages: [user(text("go")), asst(text("a")), user(result("ghost")), asst(text("b"))],
      }),
    );
    expect(out.messages).toEqual([
      { role: "user", content: [text("go")] },
      { role: "assistant", content: [text("a"), text("b")] },
    ]);
  });

  test("foreign ids and names are made to fit, the same way in calls, results, tools and tool_choice", () => {
    const c = ctx();
    const out = encode(
      req({
        tools: [
          {
            name: "mcp.fs/read",
            schema: { type: "object", properties: { p: { type: "string" } } },
          },
        ],
        toolChoice: { type: "tool", name: "mcp.fs/read" },
        messages: [
          user(text("go")),
          asst(call("functions.read:0", "mcp.fs/read", { p: "x" })),
          user(result("functions.read:0")),
        ],
      }),
      c,
    );
    const id = out.messages[1].content[0].id;
    const name = out.tools[0].name;
    expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(name).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
    expect(out.messages[1].content[0].name).toBe(name);
    expect(out.messages[2].content[0].tool_use_id).toBe(id);
    expect(out.tool_choice).toEqual({ type: "tool", name });
    // …and the response decoder maps them back.
    expect(c.toolIds.fromWire(id)).toBe("functions.read:0");
    expect(c.toolNames.fromWire(name)).toBe("mcp.fs/read");
  });

  test("calls without an id get a synthesized one, and id-less results pair with them in order", () => {
    const out = encode(
      req({
        messages: [
          user(text("go")),
          asst(call("", "a"), call("", "b")),
          user(result("", "A"), result("", "B")),
        ],
      }),
    );
    const [a, b] = out.messages[1].content;
    expect(a.id).toMatch(/^toolu_/);
    expect(a.id).not.toBe(b.id);
    expect(out.messages[2].content.map((r: any) => [r.tool_use_id, r.content])).toEqual([
      [a.id, "A"],
      [b.id, "B"],
    ]);
  });

  test("result content: media blocks, is_error, cache hints", () => {
    const out = encode(
      req({
        messages: [
          user(text("go")),
          asst(call("c1")),
          user({
            type: "tool_result",
            callId: "c1",
            isError: true,
            content: [text("shot:"), { type: "image", data: "iVBORw0KGgoAAA" }],
            ext: { anthropic: { cacheControl: { type: "ephemeral" } } },
          }),
        ],
      }),
    );
    expect(out.messages[2].content[0]).toEqual({
      type: "tool_result",
      tool_use_id: "c1",
      content: [
        text("shot:"),
        {
          type: "image",
          source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgoAAA" },
        },
      ],
      is_error: true,
      cache_control: { type: "ephemeral" },
    });
  });

  test("tools: schemas get an object root; choice mapping; parallel off", () => {
    const tools = [
      { name: "none", schema: {} },
      { name: "untyped", schema: { properties: { a: { type: "string" } } } },
      { name: "nullable", schema: { type: ["object", "null"], properties: {} } },
      {
        name: "cached",
        description: "d",
        schema: { type: "object", properties: {} },
        ext: { anthropic: { cacheControl: { type: "ephemeral" } } },
      },
    ];
    const out = encode(req({ tools, toolChoice: { type: "required" }, parallelToolCalls: false }));
    expect(out.tools).toEqual([
      { name: "none", input_schema: { type: "object", properties: {} } },
      { name: "untyped", input_schema: { type: "object", properties: { a: { type: "string" } } } },
      { name: "nullable", input_schema: { type: "object", properties: {} } },
      {
        name: "cached",
        description: "d",
        input_schema: { type: "object", properties: {} },
        cache_control: { type: "ephemeral" },
      },
    ]);
    expect(out.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(encode(req({ tools, parallelToolCalls: false })).tool_choice).toEqual({
      type: "auto",
      disable_parallel_tool_use: true,
    });
    expect(encode(req({ tools, toolChoice: { type: "none" } })).tool_choice).toEqual({
      type: "none",
    });
    expect(encode(req({ tools })).tool_choice).toBeUndefined();
    const c = ctx();
    expect(encode(req({ toolChoice: { type: "required" } }), c).tool_choice).toBeUndefined();
    expect(whats(c)).toEqual(["dropped:tool_choice"]);
  });
});

describe("media", () => {
  test("images: base64 (type sniffed when missing), data URL, remote URL; detail dropped with a warning", () => {
    const c = ctx();
    const out = encode(
      req({
        messages: [
          user(
            { type: "image", data: "/9j/4AAQ" },
            { type: "image", mime: "image/jpg", data: "/9j/4AAQ" },
            { type: "image", url: "data:image/webp;base64,UklGRiQ=" },
            { type: "image", url: "https://x/y.gif", detail: "high" },
          ),
        ],
      }),
      c,
    );
    expect(out.messages[0].content.map((b: any) => b.source)).toEqual([
      { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" },
      { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" },
      { type: "base64", media_type: "image/webp", data: "UklGRiQ=" },
      { type: "url", url: "https://x/y.gif" },
    ]);
    expect(whats(c)).toEqual(["dropped:image.detail"]);
  });

  test("documents: PDF data and URL, text document, base64 text file decoded", () => {
    const out = encode(
      req({
        messages: [
          user(
            { type: "file", mime: "application/pdf", data: "JVBERi0x", name: "a.pdf" },
            { type: "file", url: "https://x/b.pdf" },
            { type: "file", mime: "text/plain", text: "notes" },
            { type: "file", mime: "text/markdown", data: Buffer.from("# hi").toString("base64") },
          ),
        ],
      }),
    );
    expect(out.messages[0].content).toEqual([
      {
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" },
        title: "a.pdf",
      },
      { type: "document", source: { type: "url", url: "https://x/b.pdf" } },
      { type: "document", source: { type: "text", media_type: "text/plain", data: "notes" } },
      { type: "document", source: { type: "text", media_type: "text/plain", data: "# hi" } },
    ]);
  });

  test("audio, provider file ids, unsupported types and n > 1 are refused with a 400", () => {
    expect(
      refused(req({ messages: [user({ type: "file", mime: "audio/wav", data: "UklGR" })] })),
    ).toContain("audio");
    expect(refused(req({ messages: [user({ type: "file", fileId: "file-abc" })] }))).toContain(
      "file id",
    );
    expect(refused(req({ messages: [user({ type: "image", fileId: "file-abc" })] }))).toContain(
      "file id",
    );
    expect(
      refused(req({ messages: [user({ type: "image", mime: "image/heic", data: "AAAA" })] })),
    ).toContain("image/heic");
    expect(
      refused(req({ messages: [user({ type: "file", mime: "application/zip", data: "UEsD" })] })),
    ).toContain("application/zip");
    expect(refused(req({ n: 2 }))).toContain("n > 1");
    expect(isRouterError(anthropicCodec.encodeRequest(req({ n: 1 }), ctx()))).toBe(false);
  });
});

describe("parameters", () => {
  test("max_tokens: the client's, else the model's default, else 4096; clamped to the model's limit", () => {
    expect(encode(req({ maxTokens: 77 })).max_tokens).toBe(77);
    expect(encode(req({}), ctx({ defaultMaxTokens: 8000 })).max_tokens).toBe(8000);
    expect(encode(req({})).max_tokens).toBe(4096);
    const c = ctx({ maxOutputTokens: 8192 });
    expect(encode(req({ maxTokens: 32000 }), c).max_tokens).toBe(8192);
    expect(whats(c)).toEqual(["clamped:max_tokens"]);
  });

  test("sampling: temperature clamped to 1, top_p dropped beside temperature, whitespace stops dropped, unsupported fields reported", () => {
    const c = ctx();
    const out = encode(
      req({
        temperature: 1.6,
        topP: 0.5,
        topK: 3,
        stop: ["\n", "END"],
        seed: 1,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        promptCacheKey: "thread-1",
        user: "u1",
        model: "client-name",
        stream: true,
      }),
      c,
    );
    expect(out).toMatchObject({
      model: "claude-upstream",
      temperature: 1,
      top_k: 3,
      stop_sequences: ["END"],
      metadata: { user_id: "u1" },
      stream: true,
    });
    expect(out.top_p).toBeUndefined();
    expect(whats(c)).toEqual([
      "clamped:temperature",
      "dropped:top_p",
      "dropped:stop",
      "dropped:seed",
      "dropped:presence_penalty",
      "dropped:frequency_penalty",
      "dropped:prompt_cache_key",
    ]);
    expect(encode(req({ topP: 0.5 })).top_p).toBe(0.5);
  });

  test("response formats: json_schema → output_config.format; json → a system line", () => {
    const schema = { type: "object", properties: { a: { type: "number" } } };
    expect(
      encode(req({ responseFormat: { type: "json_schema", name: "x", schema } })).output_config,
    ).toEqual({ format: { type: "json_schema", schema } });
    const c = ctx();
    const out = encode(req({ responseFormat: { type: "json" } }), c);
    expect(out.system.at(-1).text).toContain("JSON");
    expect(whats(c)).toEqual(["approximated:response_format"]);
  });

  test("more than four cache breakpoints: the earliest are removed", () => {
    const cc = { anthropic: { cacheControl: { type: "ephemeral" } } };
    const c = ctx();
    const out = encode(
      req({
        tools: [{ name: "t", schema: {}, ext: cc }],
        system: [{ type: "text", text: "s", ext: cc }],
        messages: [
          user({ type: "text", text: "a", ext: cc }),
          asst(text("b")),
          user({ type: "text", text: "c", ext: cc }),
          asst(call("c1")),
          user({
            type: "tool_result",
            callId: "c1",
            content: [{ type: "text", text: "r", ext: cc }],
          }),
        ],
      }),
      c,
    );
    expect(out.tools[0].cache_control).toBeUndefined();
    expect(out.system[0].cache_control).toEqual({ type: "ephemeral" });
    expect(out.messages[4].content[0].content[0].cache_control).toEqual({ type: "ephemeral" });
    expect(JSON.stringify(out).match(/cache_control/g)).toHaveLength(4);
    expect(whats(c)).toEqual(["dropped:cache_control"]);
  });

  test("fields other formats kept in ext are reported, not forwarded", () => {
    const c = ctx();
    const out = encode(
      req({
        ext: {
          anthropic: { context_management: {} },
          openai: { logit_bias: {} },
          gemini: { safetySettings: [] },
        },
      }),
      c,
    );
    expect(Object.keys(out)).not.toContain("context_management");
    expect(whats(c)).toEqual([
      "dropped:context_management",
      "dropped:logit_bias",
      "dropped:safetySettings",
    ]);
  });
});

describe("reasoning", () => {
  test("budget → thinking; sampling dropped; max_tokens raised over the budget; forced tool choice relaxed", () => {
    const c = ctx();
    const out = encode(
      req({
        reasoning: { enabled: true, budget: 2000 },
        maxTokens: 1000,
        temperature: 0.3,
        topP: 0.9,
        topK: 5,
        tools: [{ name: "f", schema: {} }],
        toolChoice: { type: "tool", name: "f" },
      }),
      c,
    );
    expect(out.thinking).toEqual({ type: "enabled", budget_tokens: 2000 });
    expect(out.max_tokens).toBe(3000);
    expect(out.tool_choice).toEqual({ type: "auto" });
    expect(out.temperature).toBeUndefined();
    expect(whats(c)).toEqual([
      "approximated:max_tokens",
      "approximated:tool_choice",
      "dropped:temperature",
      "dropped:top_p",
      "dropped:top_k",
    ]);
  });

  test.each([
    [{ effort: "low" }, 1024],
    [{ effort: "minimal" }, 1024],
    [{ effort: "medium" }, 8192],
    [{ effort: "high" }, 24576],
    [{ budget: 300 }, 1024],
    [{ enabled: true }, 8192],
    [{ budget: -1 }, 8192],
  ] as const)("reasoning %j → budget_tokens %d", (reasoning, budget) => {
    expect(encode(req({ reasoning: { ...reasoning }, maxTokens: 40000 })).thinking).toEqual({
      type: "enabled",
      budget_tokens: budget,
    });
  });

  test.each([
    [{ enabled: false, budget: 5000 }],
    [{ effort: "none" }],
    [{ budget: 0 }],
    [{ include: true }],
    [{}],
  ] as const)("reasoning %j → no thinking", (reasoning) => {
    expect(encode(req({ reasoning: { ...reasoning } })).thinking).toBeUndefined();
  });

  test("a budget that cannot fit under the model's limit is shrunk, or thinking is turned off", () => {
    const c = ctx({ maxOutputTokens: 4096 });
    const out = encode(req({ reasoning: { budget: 8000 }, maxTokens: 4096 }), c);
    expect(out).toMatchObject({
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
    });
    expect(
      encode(req({ reasoning: { budget: 8000 } }), ctx({ maxOutputTokens: 1500 })).thinking,
    ).toBeUndefined();
  });

  const history = (first: any): Message[] => [
    user(text("go")),
    asst(first, text("calling"), call("c1")),
    user(result("c1")),
  ];
  const anthropicSig = {
    type: "reasoning" as const,
    text: "think",
    signature: { source: "anthropic" as const, value: "SIG-A" },
  };

  test("Anthropic-signed thinking is replayed byte for byte; redacted thinking too", () => {
    const out = encode(
      req({ reasoning: { budget: 1024 }, maxTokens: 4000, messages: history(anthropicSig) }),
      ctx(),
      { "SIG-A": "think" },
    );
    expect(out.thinking).toBeDefined();
    expect(out.messages[1].content[0]).toEqual({
      type: "thinking",
      thinking: "think",
      signature: "SIG-A",
    });
    const red = anthropicCodec.encodeRequest(
      req({
        reasoning: { budget: 1024 },
        maxTokens: 4000,
        messages: history({ type: "reasoning", text: "", redacted: "opaque" }),
      }),
      ctx(),
    ) as any;
    expect(red.messages[1].content[0]).toEqual({ type: "redacted_thinking", data: "opaque" });
  });

  test("when the answered tool turn lost its thinking, all thinking is stripped and thinking is off", () => {
    const c = ctx();
    const gemini = {
      type: "reasoning" as const,
      text: "",
      signature: { source: "gemini" as const, value: "G" },
    };
    const messages = [user(text("q0")), asst(anthropicSig, text("a0")), ...history(gemini)];
    const out = encode(
      req({ reasoning: { budget: 1024 }, maxTokens: 4000, temperature: 0.5, messages }),
      c,
    );
    expect(out.thinking).toBeUndefined();
    expect(JSON.stringify(out.messages)).not.toContain("thinking");
    // Thinking being off, temperature may go out again.
    expect(out.temperature).toBe(0.5);
    expect(whats(c)).toEqual(["dropped:thinking", "dropped:reasoning"]);
  });

  test("thinking off: history thinking of any origin is left out (never mixed), with one warning", () => {
    const c = ctx();
    const out = encode(req({ messages: history(anthropicSig) }), c);
    expect(out.messages[1].content.map((b: any) => b.type)).toEqual(["text", "tool_use"]);
    expect(whats(c)).toEqual(["dropped:reasoning"]);
  });

  test("thinking on, a text-only latest exchange: foreign and unsigned thinking dropped, Anthropic's kept", () => {
    const c = ctx();
    const messages = [
      user(text("q")),
      asst(anthropicSig, { type: "reasoning", text: "unsigned" }, text("a")),
      user(text("more")),
    ];
    const out = encode(req({ reasoning: { effort: "low" }, maxTokens: 4000, messages }), c, {
      "SIG-A": "think",
    });
    expect(out.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(out.messages[1].content.map((b: any) => b.type)).toEqual(["thinking", "text"]);
    expect(whats(c)).toEqual(["dropped:reasoning"]);
  });
});
