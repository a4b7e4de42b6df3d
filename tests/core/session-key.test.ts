import { describe, expect, test } from "bun:test";
import type { RoutedCall } from "../../src/attempt";
import { findSessionKey } from "../../src/core/session-key";
import { FORMATS, type FormatId } from "../../src/wire";

/** Headers, body fields, their order, and the bounds on a key. Conversation starts: session-key-prefix.test.ts. */

function call(id: FormatId, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const client = FORMATS[id];
  const raw = new TextEncoder().encode(JSON.stringify(body));
  const routed: RoutedCall = {
    ...{ format: id, client, op: "generate", group: "g", stream: false, sse: false },
    ...{ body, raw, headers: new Headers(headers) },
  };
  return routed;
}

const USER = [{ role: "user", content: "hi" }];
const chat = (extra: Record<string, unknown> = {}) => ({ model: "g", messages: USER, ...extra });
const messages = (extra: Record<string, unknown> = {}) => ({
  ...{ model: "g", max_tokens: 64, messages: USER },
  ...extra,
});

describe("the real clients' session ids, as their requests carry them", () => {
  // Recorded from the CLIs pinned in tests/real-clients (user ids and bodies shortened).
  const id = "26ad3169-4d09-4df7-9858-466f79a668f6";

  test("Claude Code 2.1: X-Claude-Code-Session-Id, and the same id in metadata.user_id's JSON", () => {
    const userId = JSON.stringify({ device_id: "5407564768", account_uuid: "", session_id: id });
    const body = messages({ metadata: { user_id: userId } });
    const headers = { "X-Claude-Code-Session-Id": id, "x-app": "cli" };
    expect(findSessionKey(call("anthropic", body, headers), [])).toEqual({
      key: id,
      source: "header:x-claude-code-session-id",
    });
    // A request without the header (a proxy in between dropped it) keeps the conversation's key.
    expect(findSessionKey(call("anthropic", body), [])).toEqual({
      key: id,
      source: "body:metadata.user_id",
    });
  });

  test("Claude Code before 2.1: the session part of user_<hash>_account_<uuid>_session_<uuid>", () => {
    const userId = `user_${"ab".repeat(32)}_account_0c1d2e3f-aaaa-bbbb-cccc-000000000001_session_${id}`;
    const found = findSessionKey(
      call("anthropic", messages({ metadata: { user_id: userId } })),
      [],
    );
    expect(found).toEqual({ key: id, source: "body:metadata.user_id" });
    // One user's other session is another key.
    const other = userId.replace(id, "11111111-2222-3333-4444-555555555555");
    const second = findSessionKey(
      call("anthropic", messages({ metadata: { user_id: other } })),
      [],
    );
    expect(second?.key).not.toBe(found?.key);
  });

  test("Codex 0.171: session-id and thread-id, and the same id as prompt_cache_key", () => {
    const thread = "01a252cb-12ae-7303-bda4-79d8ab999387";
    const body = { model: "g", input: "say hi", prompt_cache_key: thread };
    const headers = { "session-id": thread, "thread-id": thread, originator: "codex_exec" };
    expect(findSessionKey(call("responses", body, headers), [])).toEqual({
      key: thread,
      source: "header:session-id",
    });
    expect(findSessionKey(call("responses", body, { "thread-id": thread }), [])?.source).toBe(
      "header:thread-id",
    );
    expect(findSessionKey(call("responses", body), [])).toEqual({
      key: thread,
      source: "body:prompt_cache_key",
    });
  });

  test("earlier Codex: session_id, with an underscore", () => {
    const found = findSessionKey(call("responses", { input: "hi" }, { session_id: "s-1" }), []);
    expect(found).toEqual({ key: "s-1", source: "header:session_id" });
  });

  test("opencode 1.18: x-session-affinity, X-Session-Id, x-opencode-session", () => {
    const ses = "ses_dad34dd52ffeYvQHnGd1jM87AB";
    const body = { model: "g", input: "hi", prompt_cache_key: ses };
    const toOpenAI = { "x-session-affinity": ses, "X-Session-Id": ses, "session-id": ses };
    expect(findSessionKey(call("responses", body, toOpenAI), [])?.key).toBe(ses);
    const sources = [
      ["x-session-affinity", "header:x-session-affinity"],
      ["X-Session-Id", "header:x-session-id"],
      ["x-opencode-session", "header:x-opencode-session"],
    ];
    for (const [name, source] of sources)
      expect(findSessionKey(call("openai", chat(), { [name!]: ses }), [])).toEqual({
        key: ses,
        source: source!,
      });
  });
});

describe("order: configured headers, client headers, body fields, the conversation's start", () => {
  const CLIENT_HEADERS = [
    "x-claude-code-session-id",
    "session-id",
    "thread-id",
    "session_id",
    "x-session-affinity",
    "x-session-id",
    "x-opencode-session",
  ];
  const all = Object.fromEntries(
    [...CLIENT_HEADERS, "x-team-session", "x-conversation"].map((h) => [h, `id-of-${h}`]),
  );
  const body = chat({ prompt_cache_key: "pck", user: "u", safety_identifier: "sid" });

  test("configured headers first, in their configured order", () => {
    const extra = ["x-conversation", "x-team-session"];
    expect(findSessionKey(call("openai", body, all), extra)).toEqual({
      key: "id-of-x-conversation",
      source: "header:x-conversation",
    });
    const { "x-conversation": _, ...rest } = all;
    expect(findSessionKey(call("openai", body, rest), extra)?.source).toBe("header:x-team-session");
  });

  test("then the client headers, in their order; a header that is not configured is not read", () => {
    const headers = { ...all };
    for (const name of CLIENT_HEADERS) {
      expect(findSessionKey(call("openai", body, headers), [])).toEqual({
        key: `id-of-${name}`,
        source: `header:${name}`,
      });
      delete headers[name];
    }
    // Only x-team-session and x-conversation are left, and nobody configured them.
    expect(findSessionKey(call("openai", body, headers), [])?.source).toBe("body:prompt_cache_key");
  });

  test("an empty header counts as absent", () => {
    const headers = { "x-claude-code-session-id": "", "session-id": "s" };
    expect(findSessionKey(call("openai", body, headers), [])?.source).toBe("header:session-id");
  });

  test("then the body: prompt_cache_key, user, safety_identifier; then the start", () => {
    for (const id of ["openai", "responses"] as const) {
      const base = id === "openai" ? chat() : { model: "g", input: "hi" };
      const found = (extra: Record<string, unknown>) =>
        findSessionKey(call(id, { ...base, ...extra }), []);
      const fields = { prompt_cache_key: "pck", user: "u", safety_identifier: "sid" };
      expect(found(fields)).toEqual({ key: "pck", source: "body:prompt_cache_key" });
      expect(found({ ...fields, prompt_cache_key: undefined })).toEqual({
        key: "u",
        source: "body:user",
      });
      expect(found({ safety_identifier: "sid", user: "" })).toEqual({
        key: "sid",
        source: "body:safety_identifier",
      });
      expect(found({ prompt_cache_key: 42, user: null })?.source).toBe("prefix");
    }
  });

  test("Anthropic's metadata.user_id: any other client's id is used whole", () => {
    const found = (user_id: unknown) =>
      findSessionKey(call("anthropic", messages({ metadata: { user_id } })), []);
    expect(found("customer-42")).toEqual({ key: "customer-42", source: "body:metadata.user_id" });
    // JSON without a session id, JSON that is not an object, text that only looks like JSON.
    for (const whole of ['{"device_id":"d"}', '{"session_id":7}', "[1,2]", "{not json", "{"])
      expect(found(whole)).toEqual({ key: whole, source: "body:metadata.user_id" });
    expect(found("user_x_session_")?.key).toBe("user_x_session_");
    for (const odd of [7, null, "", { session_id: "s" }]) expect(found(odd)?.source).toBe("prefix");
    const notObject = messages({ metadata: "user_id" });
    expect(findSessionKey(call("anthropic", notObject), [])?.source).toBe("prefix");
  });

  test("Gemini requests name no session: their start decides", () => {
    const body = { contents: [{ role: "user", parts: [{ text: "hi" }] }], user: "u" };
    expect(findSessionKey(call("gemini", body), [])?.source).toBe("prefix");
  });

  test("undefined when nothing identifies a conversation", () => {
    expect(findSessionKey(call("openai", { model: "g", messages: [] }), [])).toBeUndefined();
    expect(findSessionKey(call("responses", { model: "g" }), [])).toBeUndefined();
    expect(findSessionKey(call("gemini", { contents: "none" }), [])).toBeUndefined();
    const onlyAssistant = { messages: [{ role: "assistant", content: "x" }] };
    expect(findSessionKey(call("anthropic", onlyAssistant), [])).toBeUndefined();
  });
});

describe("a key's length", () => {
  test("a key of up to 256 characters is kept; a longer one becomes its hash", () => {
    const at = (key: string) => findSessionKey(call("openai", chat(), { "x-session-id": key }), []);
    expect(at("k".repeat(256))?.key).toBe("k".repeat(256));
    const long = at("k".repeat(257))!;
    expect(long.key).toMatch(/^[0-9a-f]{16}$/);
    expect(long.source).toBe("header:x-session-id");
    expect(at("k".repeat(257))?.key).toBe(long.key);
    expect(at("k".repeat(258))?.key).not.toBe(long.key);
    const fromBody = findSessionKey(call("openai", chat({ user: "k".repeat(257) })), []);
    expect(fromBody?.key).toBe(long.key);
  });
});
