import { describe, expect, test } from "bun:test";
import { isRouterError, type IRResponse } from "../../../src/ir";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import { ctx, fixtureJson, GROUP } from "./helpers";

function decode(body: unknown, c = ctx()): IRResponse {
  const r = anthropicCodec.decodeResponse(body, c);
  if (isRouterError(r)) throw new Error(r.message);
  return r;
}

describe("recorded Anthropic responses → IR", () => {
  test("cache-read: input excludes cache reads and writes, each kept apart", () => {
    const r = decode(fixtureJson("anthropic/cache-read.json"));
    expect(r.usage).toEqual({ input: 3, cacheRead: 1111, cacheWrite: 418, output: 33 });
    expect(r.finish).toEqual({ reason: "stop", raw: "end_turn" });
    expect(r.parts).toEqual([
      { type: "text", text: expect.stringContaining("Python is a beginner-friendly") },
    ]);
    expect(r.model).toBe(GROUP);
    expect(r.id).toBe("msg_01KPaKTJSqAKoZri7Ujrny58");
  });

  test("max-tokens: length, thinking tokens reported as reasoning", () => {
    const r = decode(fixtureJson("anthropic/max-tokens.json"));
    expect(r.finish).toEqual({ reason: "length", raw: "max_tokens" });
    expect(r.usage).toEqual({ input: 21, cacheRead: 0, cacheWrite: 0, output: 5, reasoning: 0 });
    expect(r.parts).toEqual([{ type: "text", text: "OK" }]);
  });

  test("thinking: the thinking block with its Anthropic signature, then text", () => {
    const body = fixtureJson("anthropic/thinking.json");
    const r = decode(body);
    expect(r.parts[0]).toEqual({
      type: "reasoning",
      text: body.content[0].thinking,
      signature: { source: "anthropic", value: body.content[0].signature },
    });
    expect(r.parts[1]!.type).toBe("text");
  });

  test("redacted-thinking: opaque data kept, no text", () => {
    const body = fixtureJson("anthropic/redacted-thinking.json");
    expect(decode(body).parts[0]).toEqual({
      type: "reasoning",
      text: "",
      redacted: body.content[0].data,
    });
  });

  test("tool-use-parallel: four calls in order, arguments as objects, tool_calls finish", () => {
    const r = decode(fixtureJson("anthropic/tool-use-parallel.json"));
    const calls = r.parts.filter((p) => p.type === "tool_call");
    expect(calls.map((p) => (p as any).args.name)).toEqual(["Alice", "Bob", "Charlie", "Daisy"]);
    expect(calls[0]).toEqual({
      type: "tool_call",
      id: "toolu_0167cfEnoQaPviGdVXA95zcu",
      name: "retrieve_entity_info",
      args: { name: "Alice" },
    });
    expect(r.finish.reason).toBe("tool_calls");
  });

  test("names and ids rewritten for the upstream are restored", () => {
    const c = ctx();
    const name = c.toolNames.toWire("ns.tool/x");
    const id = c.toolIds.toWire("call|1");
    const r = decode(
      {
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [{ type: "tool_use", id, name, input: {} }],
        stop_reason: "end_turn",
        usage: {},
      },
      c,
    );
    expect(r.parts).toEqual([{ type: "tool_call", id: "call|1", name: "ns.tool/x", args: {} }]);
    // end_turn with a call in the answer is a tool turn.
    expect(r.finish).toEqual({ reason: "tool_calls", raw: "end_turn" });
  });

  test("an error body (even with HTTP 200), a non-object, a missing content array", () => {
    const err = anthropicCodec.decodeResponse(
      fixtureJson("anthropic/error-400-invalid-request.json"),
      ctx(),
    );
    expect(err).toMatchObject({ code: "invalid_request", status: 400 });
    expect(anthropicCodec.decodeResponse("<html>", ctx())).toMatchObject({
      code: "bad_gateway",
      status: 502,
    });
    expect(anthropicCodec.decodeResponse({ type: "message", content: "hi" }, ctx())).toMatchObject({
      code: "bad_gateway",
      message: expect.stringContaining("content: expected an array"),
    });
  });

  test("server tool blocks are dropped with a warning; unknown stop reasons are kept raw", () => {
    const c = ctx();
    const r = decode(
      {
        id: "msg_1",
        content: [
          { type: "server_tool_use", id: "s", name: "web_search", input: {} },
          { type: "text", text: "x" },
        ],
        stop_reason: "brand_new_reason",
        usage: {},
      },
      c,
    );
    expect(r.parts).toEqual([{ type: "text", text: "x" }]);
    expect(r.finish).toEqual({ reason: "other", raw: "brand_new_reason" });
    expect(c.warnings.list.map((w) => w.what)).toEqual(["content.server_tool_use"]);
  });
});
