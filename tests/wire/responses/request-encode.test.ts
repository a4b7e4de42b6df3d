import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { Message, ToolCallPart } from "../../../src/ir/content";
import { isRouterError, type RouterError } from "../../../src/ir/error";
import type { IRRequest, ToolDef } from "../../../src/ir/request";
import type { EncodeRequestContext } from "../../../src/wire/codec";
import { CREATE_KEYS } from "../../mocks/responses/validate";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { growth } from "../scale";
import { APPLY_PATCH_GRAMMAR, codexRequest, PATCH } from "./codex-request";
import { decodeRequestOk, encodeCtx, irRequest, warnedFields } from "./helpers";

type Body = Record<string, any>;

function encodeOk(over: Partial<IRRequest>, c: EncodeRequestContext = encodeCtx()): Body {
  const out = responsesCodec.encodeRequest(irRequest(over), c);
  if (isRouterError(out)) throw new Error(`unexpected error: ${out.message}`);
  return JSON.parse(JSON.stringify(out));
}

const encodeErr = (over: Partial<IRRequest>): RouterError => {
  const out = responsesCodec.encodeRequest(irRequest(over), encodeCtx());
  if (!isRouterError(out)) throw new Error("expected an error");
  return out;
};

/** Every parameter of `POST /v1/responses`, as the strict mock takes them. */
const PARAMETERS = new Set(CREATE_KEYS);

const call = (id: string, name: string, args: Record<string, unknown> = {}): ToolCallPart => ({
  type: "tool_call",
  id,
  name,
  args,
});
const result = (callId: string, text: string) => ({
  type: "tool_result" as const,
  callId,
  content: [{ type: "text" as const, text }],
});
const fn = (name: string, over: Partial<ToolDef> = {}): ToolDef => ({
  name,
  schema: { type: "object", properties: {} },
  ...over,
});

describe("a Codex conversation, decoded and encoded for a Responses upstream", () => {
  test("items, tools and settings come out as Codex sent them, statelessly", () => {
    const c = encodeCtx();
    const body = encodeOk(decodeRequestOk(codexRequest()), c);
    const sent = codexRequest();
    expect(body.model).toBe("gpt-test");
    expect(body.instructions).toBe(
      `${sent.instructions}\n\n<permissions instructions>sandbox: workspace-write</permissions instructions>`,
    );
    expect(body.input.map((i: Body) => i.type)).toEqual([
      "message",
      "message",
      "reasoning",
      "function_call",
      "function_call_output",
      "reasoning",
      "message",
      "custom_tool_call",
      "custom_tool_call_output",
      "function_call",
      "function_call_output",
    ]);
    expect(body.input[2]).toEqual({
      type: "reasoning",
      summary: [{ type: "summary_text", text: "**Reading the file**" }],
      encrypted_content: "gAAAAABo-enc-1",
    });
    expect(body.input[6]).toEqual({
      type: "message",
      role: "assistant",
      content: [
        { type: "output_text", text: "The file says hello; patching it now.", annotations: [] },
      ],
    });
    expect(body.input[7]).toEqual({
      type: "custom_tool_call",
      call_id: "call_patch_1",
      name: "apply_patch",
      input: PATCH,
    });
    expect(body.input[8]).toEqual({
      type: "custom_tool_call_output",
      call_id: "call_patch_1",
      output: "Success. Updated the following files:\nM notes.txt\n",
    });
    expect(body.tools[1]).toEqual({
      type: "custom",
      name: "apply_patch",
      description: "Use the `apply_patch` tool to edit files.",
      format: { type: "grammar", syntax: "lark", definition: APPLY_PATCH_GRAMMAR },
    });
    expect(body.tools[2]).toMatchObject({ type: "function", name: "mcp__docs__search" });
    expect(body).toMatchObject({
      tool_choice: "auto",
      parallel_tool_calls: false,
      reasoning: { effort: "medium", summary: "auto" },
      text: { verbosity: "low" },
      store: false,
      stream: true,
      include: ["reasoning.encrypted_content"],
      prompt_cache_key: "019a-thread-id",
    });
    for (const key of Object.keys(body)) expect(PARAMETERS).toContain(key);
    expect(warnedFields(c)).toEqual([]);
  });
});

describe("parameters", () => {
  test("only parameters the API takes are sent; what it lacks is reported", () => {
    const c = encodeCtx();
    const body = encodeOk(
      {
        maxTokens: 100,
        temperature: 0.2,
        topP: 0.8,
        topK: 5,
        seed: 1,
        stop: ["x"],
        n: 1,
        presencePenalty: 0.1,
        frequencyPenalty: 0.1,
        user: "u",
        streamUsage: true,
        ext: {
          anthropic: { betas: 1 },
          gemini: { safetySettings: [] },
          openai: { logit_bias: {} },
        },
      },
      c,
    );
    for (const key of Object.keys(body)) expect(PARAMETERS).toContain(key);
    expect(body).toMatchObject({
      max_output_tokens: 100,
      temperature: 0.2,
      top_p: 0.8,
      safety_identifier: "u",
      store: false,
      stream: false,
    });
    expect(body.include).toBeUndefined();
    expect(warnedFields(c)).toEqual([
      "top_k",
      "seed",
      "presence_penalty",
      "frequency_penalty",
      "stop",
      "anthropic.betas",
      "gemini.safetySettings",
      "openai.logit_bias",
    ]);
  });

  test("n > 1 is a 400", () => {
    expect(encodeErr({ n: 2 }).status).toBe(400);
  });

  test("max_output_tokens: clamped to the model's limit, raised to the API's minimum of 16", () => {
    const c = encodeCtx({ maxOutputTokens: 8192 });
    expect(encodeOk({ maxTokens: 32000 }, c).max_output_tokens).toBe(8192);
    expect(c.warnings.list).toEqual([
      {
        code: "clamped",
        what: "max_output_tokens",
        detail: "32000 → 8192 (the model's configured limit)",
      },
    ]);
    const low = encodeCtx();
    expect(encodeOk({ maxTokens: 5 }, low).max_output_tokens).toBe(16);
    expect(low.warnings.list).toEqual([
      { code: "clamped", what: "max_output_tokens", detail: "5 → 16, the Responses API's minimum" },
    ]);
    expect(encodeOk({}).max_output_tokens).toBeUndefined();
  });

  test("a long end-user id (Claude Code's) is sent hashed, within safety_identifier's 64", () => {
    const long = "user_" + "a".repeat(64) + "_account__session_x";
    const c = encodeCtx();
    const body = encodeOk({ user: long }, c);
    expect(body.safety_identifier).toBe(createHash("sha256").update(long).digest("hex"));
    expect(body.safety_identifier).toHaveLength(64);
    expect(warnedFields(c)).toEqual(["user"]);
    expect(body.user).toBeUndefined();
  });

  test("reasoning: effort as is, a summary unless the client hides reasoning, budgets to efforts", () => {
    const encode = (reasoning: IRRequest["reasoning"]) => {
      const c = encodeCtx();
      const body = encodeOk({ reasoning }, c);
      return [body.reasoning, body.include, warnedFields(c)];
    };
    const enc = ["reasoning.encrypted_content"];
    expect(encode({ effort: "high", include: true })).toEqual([
      { effort: "high", summary: "auto" },
      enc,
      [],
    ]);
    // Shown unless the client turned it off, as Anthropic and Gemini upstreams show theirs.
    expect(encode({ effort: "minimal" })).toEqual([
      { effort: "minimal", summary: "auto" },
      enc,
      [],
    ]);
    expect(encode({ effort: "low", include: false })).toEqual([{ effort: "low" }, enc, []]);
    expect(encode({ effort: "none", include: true })).toEqual([{ effort: "none" }, undefined, []]);
    expect(encode({ enabled: true, budget: 10000, include: true })).toEqual([
      { effort: "medium", summary: "auto" },
      enc,
      ["reasoning.budget"],
    ]);
    expect(encode({ enabled: true })).toEqual([{ summary: "auto" }, enc, []]);
    expect(encode({ enabled: false })).toEqual([undefined, undefined, ["reasoning.enabled"]]);
  });

  test("text.format from the response format; json_object gets the JSON mention the API requires", () => {
    expect(
      encodeOk({
        responseFormat: {
          type: "json_schema",
          name: "my answer",
          schema: { type: "object" },
          strict: true,
        },
      }).text,
    ).toEqual({
      format: { type: "json_schema", name: "my_answer", schema: { type: "object" }, strict: true },
    });
    const c = encodeCtx();
    const body = encodeOk(
      { responseFormat: { type: "json" }, system: [{ type: "text", text: "Be brief." }] },
      c,
    );
    expect(body.text).toEqual({ format: { type: "json_object" } });
    expect(body.instructions).toBe("Be brief.\n\nRespond with a JSON object.");
    expect(warnedFields(c)).toEqual(["response_format"]);
    const said = encodeCtx();
    const mentioned = encodeOk(
      {
        responseFormat: { type: "json" },
        messages: [{ role: "user", parts: [{ type: "text", text: "as JSON" }] }],
      },
      said,
    );
    expect(mentioned.instructions).toBeUndefined();
    expect(warnedFields(said)).toEqual([]);
    expect(encodeOk({ responseFormat: { type: "text" }, verbosity: "high" }).text).toEqual({
      format: { type: "text" },
      verbosity: "high",
    });
  });

  test("streaming as the glue sets it; prompt_cache_key passes", () => {
    expect(encodeOk({ stream: true, promptCacheKey: "k" })).toMatchObject({
      stream: true,
      prompt_cache_key: "k",
    });
  });
});

describe("tools", () => {
  test("functions are non-strict unless the client said strict; freeform tools are custom", () => {
    const body = encodeOk({
      tools: [fn("a"), fn("b", { strict: true, description: "B" }), { ...fn("p"), freeform: {} }],
      toolChoice: { type: "tool", name: "p" },
      parallelToolCalls: true,
    });
    expect(body.tools).toEqual([
      {
        type: "function",
        name: "a",
        parameters: { type: "object", properties: {} },
        strict: false,
      },
      {
        type: "function",
        name: "b",
        description: "B",
        parameters: { type: "object", properties: {} },
        strict: true,
      },
      { type: "custom", name: "p" },
    ]);
    expect(body.tool_choice).toEqual({ type: "custom", name: "p" });
    expect(body.parallel_tool_calls).toBe(true);
    expect(
      encodeOk({ tools: [fn("a")], toolChoice: { type: "tool", name: "a" } }).tool_choice,
    ).toEqual({
      type: "function",
      name: "a",
    });
    expect(encodeOk({ tools: [fn("a")], toolChoice: { type: "required" } }).tool_choice).toBe(
      "required",
    );
    // Without tools, no tool settings.
    const none = encodeOk({ toolChoice: { type: "none" }, parallelToolCalls: false });
    expect([none.tools, none.tool_choice, none.parallel_tool_calls]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  test("names and call ids that break the API's rules are fitted, the same in calls and results", () => {
    const name = "mcp.server/tool name";
    const id = "toolu_01:ABC";
    const body = encodeOk({
      tools: [fn(name)],
      toolChoice: { type: "tool", name },
      messages: [
        { role: "user", parts: [{ type: "text", text: "q" }] },
        { role: "assistant", parts: [call(id, name, { a: 1 })] },
        { role: "user", parts: [result(id, "r")] },
      ],
    });
    const wireName = body.tools[0].name;
    expect(wireName).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(body.tool_choice.name).toBe(wireName);
    expect(body.input[1]).toEqual({
      type: "function_call",
      call_id: id,
      name: wireName,
      arguments: '{"a":1}',
    });
    expect(body.input[2]).toEqual({ type: "function_call_output", call_id: id, output: "r" });
  });
});

describe("input", () => {
  const ask: Message = { role: "user", parts: [{ type: "text", text: "q" }] };

  test("system messages inside the conversation become developer messages where they were", () => {
    const body = encodeOk({
      system: [
        { type: "text", text: "a" },
        { type: "text", text: "b" },
      ],
      messages: [ask, { role: "system", parts: [{ type: "text", text: "later" }] }, ask],
    });
    expect(body.instructions).toBe("a\n\nb");
    expect(body.input[1]).toEqual({
      type: "message",
      role: "developer",
      content: [{ type: "input_text", text: "later" }],
    });
  });

  test("media: inline images as data URLs, documents inline with a filename, URLs and ids as they are", () => {
    const body = encodeOk({
      messages: [
        {
          role: "user",
          parts: [
            { type: "image", mime: "image/png", data: "iVBORw0K" },
            { type: "image", url: "https://x.test/a.png", detail: "low" },
            { type: "image", fileId: "file-1" },
            { type: "file", mime: "application/pdf", data: "JVBERi0x" },
            { type: "file", name: "b.pdf", url: "https://x.test/b.pdf" },
            { type: "file", fileId: "file-2" },
            { type: "file", text: "plain" },
          ],
        },
      ],
    });
    expect(body.input[0].content).toEqual([
      { type: "input_image", image_url: "data:image/png;base64,iVBORw0K", detail: "auto" },
      { type: "input_image", image_url: "https://x.test/a.png", detail: "low" },
      { type: "input_image", file_id: "file-1", detail: "auto" },
      {
        type: "input_file",
        filename: "document.pdf",
        file_data: "data:application/pdf;base64,JVBERi0x",
      },
      { type: "input_file", file_url: "https://x.test/b.pdf", filename: "b.pdf" },
      { type: "input_file", file_id: "file-2" },
      { type: "input_text", text: "plain" },
    ]);
    const err = encodeErr({
      messages: [{ role: "user", parts: [{ type: "file", mime: "audio/wav", data: "UklG" }] }],
    });
    expect([err.status, err.message]).toEqual([
      400,
      "the Responses API takes no audio input (audio/wav)",
    ]);
  });

  test("results: text as a string, errors marked, media as parts; the user's words after them", () => {
    const body = encodeOk({
      messages: [
        ask,
        { role: "assistant", parts: [call("c1", "f"), call("c2", "f"), call("c3", "f")] },
        {
          role: "user",
          parts: [
            { ...result("c1", "boom"), isError: true },
            {
              type: "tool_result",
              callId: "c2",
              content: [
                { type: "text", text: "see" },
                { type: "image", url: "https://x.test/i.png" },
              ],
            },
            result("c3", "ok"),
            { type: "text", text: "thanks" },
          ],
        },
      ],
    });
    expect(body.input.slice(4)).toEqual([
      { type: "function_call_output", call_id: "c1", output: "Error: boom" },
      {
        type: "function_call_output",
        call_id: "c2",
        output: [
          { type: "input_text", text: "see" },
          { type: "input_image", image_url: "https://x.test/i.png", detail: "auto" },
        ],
      },
      { type: "function_call_output", call_id: "c3", output: "ok" },
      { type: "message", role: "user", content: [{ type: "input_text", text: "thanks" }] },
    ]);
  });

  test("calls and outputs are paired as the API requires: placeholders for the unanswered, strays left out", () => {
    const c = encodeCtx();
    const body = encodeOk(
      {
        tools: [{ ...fn("p"), freeform: {} }],
        messages: [
          ask,
          { role: "assistant", parts: [call("c1", "f"), call("c2", "p", { input: "x" })] },
          { role: "user", parts: [result("c1", "r1"), result("zz", "stray")] },
          { role: "assistant", parts: [{ type: "text", text: "done" }] },
        ],
      },
      c,
    );
    expect(body.input.slice(1)).toEqual([
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      { type: "custom_tool_call", call_id: "c2", name: "p", input: "x" },
      { type: "function_call_output", call_id: "c1", output: "r1" },
      { type: "custom_tool_call_output", call_id: "c2", output: "(no result)" },
      {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "done", annotations: [] }],
      },
    ]);
    expect(warnedFields(c)).toEqual(["tool_result", "tool_result"]);
    expect(c.warnings.list.map((w) => w.code)).toEqual(["dropped", "approximated"]);
  });

  test("reasoning: OpenAI's own replayed with its encrypted_content; others' not, their loss said once", () => {
    const c = encodeCtx();
    const body = encodeOk(
      {
        messages: [
          ask,
          {
            role: "assistant",
            parts: [
              { type: "reasoning", text: "mine", signature: { source: "responses", value: "enc" } },
              {
                type: "reasoning",
                text: "claude",
                signature: { source: "anthropic", value: "sig" },
              },
              { type: "reasoning", text: "", redacted: "opaque" },
              { type: "text", text: "a" },
              { type: "text", text: "b" },
              { ...call("c", "f"), signature: { source: "gemini", value: "g" } },
            ],
          },
          { role: "user", parts: [result("c", "r")] },
        ],
      },
      c,
    );
    expect(body.input.slice(1, 4)).toEqual([
      {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "mine" }],
        encrypted_content: "enc",
      },
      {
        type: "message",
        role: "assistant",
        content: [
          { type: "output_text", text: "a", annotations: [] },
          { type: "output_text", text: "b", annotations: [] },
        ],
      },
      { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
    ]);
    expect(body.include).toEqual(["reasoning.encrypted_content"]);
    // Claude's thinking and the redacted block are lost, which is said once; the Gemini call's
    // signature is no loss (it means nothing to OpenAI).
    expect(warnedFields(c)).toEqual(["reasoning"]);
    // Reasoning text with no signature at all (a Chat client's reasoning_content) cannot be replayed.
    const plain = encodeCtx();
    const unsigned = encodeOk(
      {
        messages: [
          ask,
          {
            role: "assistant",
            parts: [
              { type: "reasoning", text: "t" },
              { type: "text", text: "a" },
            ],
          },
        ],
      },
      plain,
    );
    expect(unsigned.input.map((i: Body) => i.type)).toEqual(["message", "message"]);
    expect(unsigned.include).toBeUndefined();
    expect(warnedFields(plain)).toEqual(["reasoning"]);
  });

  test("reasoning goes back with the id of the item that carried it, as OpenAI issued both", () => {
    // As a client of another format hands the signature back: the item's id and its content.
    const item = { type: "reasoning", id: "rs_68c1", encrypted_content: "gAAAAABo-enc" };
    const decoded = decodeRequestOk({
      input: [
        { role: "user", content: "hi" },
        { ...item, summary: [{ type: "summary_text", text: "thought" }] },
        { role: "assistant", content: "done" },
      ],
    });
    expect(encodeOk({ messages: decoded.messages }).input[1]).toEqual({
      ...item,
      summary: [{ type: "summary_text", text: "thought" }],
    });
    const bare = encodeOk({
      messages: [
        ask,
        {
          role: "assistant",
          parts: [
            { type: "reasoning", text: "", signature: { source: "responses", value: "enc" } },
          ],
        },
      ],
    });
    expect(bare.input[1]).toEqual({ type: "reasoning", summary: [], encrypted_content: "enc" });
  });
});

describe("scale", () => {
  test("a conversation encodes in time linear in its length", () => {
    const conversation = (n: number): Partial<IRRequest> => {
      const messages: Message[] = [{ role: "user", parts: [{ type: "text", text: "go" }] }];
      for (let i = 0; i < n / 2; i++) {
        messages.push(
          {
            role: "assistant",
            parts: [
              { type: "reasoning", text: "t", signature: { source: "responses", value: "e" } },
              call(`c${i}`, "f", { i }),
            ],
          },
          { role: "user", parts: [result(`c${i}`, "r")] },
        );
      }
      return { messages, tools: [fn("f")], responseFormat: { type: "json" } };
    };
    const requests = new Map([12_500, 100_000].map((n) => [n, irRequest(conversation(n))]));
    const ratio = growth((n) => {
      const out = responsesCodec.encodeRequest(requests.get(n)!, encodeCtx());
      if (isRouterError(out)) throw new Error(out.message);
    }, 12_500);
    expect(ratio).toBeLessThan(24);
  });
});
