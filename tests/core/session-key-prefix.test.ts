import { describe, expect, test } from "bun:test";
import type { RoutedCall } from "../../src/attempt";
import { findSessionKey } from "../../src/core/session-key";
import { FORMATS, type FormatId } from "../../src/wire";

/** The session key of a request that names none: a hash of its conversation's start. */

function find(id: FormatId, body: Record<string, unknown>) {
  const client = FORMATS[id];
  const call: RoutedCall = {
    ...{ format: id, client, op: "generate", group: "g", stream: false, sse: false },
    ...{ body, raw: new Uint8Array(), headers: new Headers() },
  };
  return findSessionKey(call, []);
}

function keyOf(id: FormatId, body: Record<string, unknown>): string | undefined {
  const found = find(id, body);
  if (found) expect(found.source).toBe("prefix");
  return found?.key;
}

/**
 * Turn 1 and turn 6 of one conversation per format, as clients send them: the first turn is
 * replayed as it was, but its spelling may change (a string becomes a text block) and the cache
 * breakpoint moves to the newest turn.
 */
const CONVERSATIONS: Record<FormatId, (system: string, ask: string) => [object, object]> = {
  openai: (system, ask) => {
    const call = { id: "c1", type: "function", function: { name: "read", arguments: "{}" } };
    const later = [
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: "c1", content: "file text" },
      { role: "assistant", content: "Done." },
      { role: "user", content: "thanks" },
      { role: "assistant", content: "You're welcome." },
      { role: "user", content: "one more thing" },
    ];
    const opening = [
      { role: "system", content: system },
      { role: "developer", content: "Be brief." },
    ];
    return [
      { model: "g", messages: [...opening, { role: "user", content: ask }] },
      {
        model: "g",
        messages: [...opening, { role: "user", content: [{ type: "text", text: ask }] }, ...later],
      },
    ];
  },
  anthropic: (system, ask) => {
    const breakpoint = { cache_control: { type: "ephemeral" } };
    const reminder = { type: "text", text: "<system-reminder>CLAUDE.md</system-reminder>" };
    const systemBlocks = [{ type: "text", text: system, ...breakpoint }];
    const image = {
      type: "image",
      source: { type: "base64", media_type: "image/png", data: "iVBO" },
    };
    const first = (last: object) => ({
      role: "user",
      content: [reminder, { type: "text", text: ask }, { ...image, ...last }],
    });
    const later = [
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "file text" }] },
      { role: "assistant", content: [{ type: "text", text: "Done." }] },
      { role: "user", content: [{ type: "text", text: "thanks", ...breakpoint }] },
    ];
    return [
      { model: "g", max_tokens: 64, system: systemBlocks, messages: [first(breakpoint)] },
      { model: "g", max_tokens: 64, system: systemBlocks, messages: [first({}), ...later] },
    ];
  },
  gemini: (system, ask) => {
    const first = { role: "user", parts: [{ text: ask }] };
    const later = [
      {
        role: "model",
        parts: [{ functionCall: { name: "read", args: {} }, thoughtSignature: "s" }],
      },
      { role: "user", parts: [{ functionResponse: { name: "read", response: { text: "x" } } }] },
      { role: "model", parts: [{ text: "Done." }] },
      { role: "user", parts: [{ text: "thanks" }] },
    ];
    return [
      { systemInstruction: { parts: [{ text: system }] }, contents: [first] },
      // proto-JSON: the same field in snake_case.
      { system_instruction: { parts: [{ text: system }] }, contents: [first, ...later] },
    ];
  },
  responses: (system, ask) => {
    const developer = { type: "message", role: "developer", content: "Be brief." };
    const later = [
      { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "gAAA" },
      { type: "function_call", call_id: "c1", name: "read", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "file text" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Done." }] },
      { role: "user", content: "thanks" },
    ];
    const user = { type: "message", role: "user", content: [{ type: "input_text", text: ask }] };
    return [
      { model: "g", instructions: system, input: [developer, { role: "user", content: ask }] },
      { model: "g", instructions: system, input: [developer, user, ...later] },
    ];
  },
};

describe.each(Object.keys(CONVERSATIONS) as FormatId[])("%s", (id) => {
  const conversation = CONVERSATIONS[id];

  test("turn 1 and turn 6 of one conversation share a key", () => {
    const [first, sixth] = conversation("You are a coding agent.", "Fix the bug in a.ts");
    const key = keyOf(id, first as Record<string, unknown>);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(keyOf(id, sixth as Record<string, unknown>)).toBe(key);
  });

  test("conversations that begin differently get different keys", () => {
    const keys = new Set<string | undefined>();
    for (let i = 0; i < 500; i++) {
      const [first] = conversation("You are a coding agent.", `Task ${i}: fix the bug`);
      keys.add(keyOf(id, first as Record<string, unknown>));
    }
    const [otherSystem] = conversation("You are a reviewer.", "Task 0: fix the bug");
    keys.add(keyOf(id, otherSystem as Record<string, unknown>));
    expect(keys.size).toBe(501);
  });

  test("long turns that differ near their start or end get different keys", () => {
    const long = "x".repeat(100_000);
    const keys = ["a" + long, "b" + long, long + "a", long + "b", long].map((ask) =>
      keyOf(id, conversation("sys", ask)[0] as Record<string, unknown>)!,
    );
    expect(new Set(keys).size).toBe(5);
  });
});

test("a Responses turn 1 sent as a plain string reads as its replayed user item", () => {
  const replayed = { input: [{ role: "user", content: [{ type: "input_text", text: "hi" }] }] };
  expect(keyOf("responses", { input: "hi" })).toBe(keyOf("responses", replayed));
  expect(keyOf("responses", { input: "hi" })).not.toBe(keyOf("responses", { input: "hi!" }));
});

test("the same key in every process and every router version: the hash has no seed of its own", () => {
  // Pinned: replicas, workers and restarts must all place a conversation alike. The value is
  // standard xxHash64 (seed 0) of the digest text "Ss1:sUs2:hi": system "s", first user turn "hi".
  const body = {
    model: "g",
    messages: [
      { role: "system", content: "s" },
      { role: "user", content: "hi" },
    ],
  };
  expect(keyOf("openai", body)).toBe("76c07d3d48e190a3");
});

describe("hostile bodies: bounded work, never a throw", () => {
  const MB = "x".repeat(1 << 20);
  const parts = Array.from({ length: 10_000 }, (_, i) => ({ type: "text", text: `part ${i}` }));
  const deep = (levels: number) => {
    let v: unknown = "core";
    for (let i = 0; i < levels; i++) v = [v];
    return v;
  };
  const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
  const bodies: [FormatId, Record<string, unknown>][] = [
    ["anthropic", { system: MB, messages: [{ role: "user", content: MB }] }],
    ["anthropic", { messages: [{ role: "user", content: parts }] }],
    [
      "anthropic",
      {
        system: 42,
        messages: [{ role: "user", content: [{ type: "image", source: deep(10_000) }] }],
      },
    ],
    [
      "anthropic",
      { messages: [{ role: "user", content: [wide] }], metadata: { user_id: `{${MB}` } },
    ],
    ["anthropic", { messages: "hi", metadata: { user_id: ["s"] } }],
    ["openai", { messages: [{ role: "user", content: parts }], prompt_cache_key: { a: 1 } }],
    ["openai", { messages: [null, 7, "user", { role: "user", content: { text: MB } }] }],
    [
      "openai",
      { messages: Array.from({ length: 10_000 }, () => ({ role: "system", content: MB })) },
    ],
    ["gemini", { contents: [{ parts }], systemInstruction: "plain" }],
    ["gemini", { contents: [{ role: "user", parts: { text: 1 } }], generateContentRequest: 5 }],
    [
      "gemini",
      { generateContentRequest: { contents: [{ parts: [{ inlineData: { data: MB } }] }] } },
    ],
    ["responses", { input: [{ role: "user", content: parts }], instructions: ["x"] }],
    [
      "responses",
      { input: Array.from({ length: 10_000 }, () => ({ type: "function_call_output" })) },
    ],
    ["responses", { input: MB, user: 12, safety_identifier: false }],
  ];

  test.each(bodies.map((b, i) => [i, ...b] as const))("body %i (%s)", (_, id, body) => {
    let key: string | undefined;
    const start = Bun.nanoseconds();
    for (let i = 0; i < 100; i++) key = find(id, body)?.key;
    const microseconds = (Bun.nanoseconds() - start) / 100 / 1000;
    // Measured at a few µs; the bound only catches work that grows with the body.
    expect(microseconds).toBeLessThan(1000);
    expect(key === undefined || /^[0-9a-f]{16}$/.test(key)).toBe(true);
  });

  test("10 000 content parts: only the first ones count", () => {
    const more = [...parts, { type: "text", text: "the last one" }];
    const key = (content: unknown) => keyOf("anthropic", { messages: [{ role: "user", content }] });
    expect(key(more)).toBe(key(parts));
    expect(key(parts)).not.toBe(key(parts.slice(1)));
  });
});
