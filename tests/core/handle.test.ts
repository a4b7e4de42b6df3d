import { describe, expect, test } from "bun:test";
import { createHandler } from "../../src/core/handle";
import { createRuntime } from "../../src/core/runtime";
import { silentLogger } from "../../src/log";
import { unreachableConfig } from "./unreachable-config";

const TOKEN = "s3cret-token";
// No upstream is reachable: these tests stop before any upstream call, or prove the refusal.
const config = unreachableConfig("test.yaml", {
  maxBodyBytes: 2048,
  maxTotalBodyBytes: 1 << 20,
  bodyTimeoutMs: 30_000,
});
const runtime = createRuntime(config);
const handle = createHandler({ runtime: () => runtime, token: TOKEN, log: silentLogger });

const ENDPOINTS: {
  method: string;
  path: string;
  format: "openai" | "anthropic" | "gemini";
  headers?: Record<string, string>;
}[] = [
  { method: "POST", path: "/v1/chat/completions", format: "openai" },
  { method: "POST", path: "/v1/messages?beta=true", format: "anthropic" },
  { method: "POST", path: "/v1/messages/count_tokens", format: "anthropic" },
  { method: "POST", path: "/v1beta/models/grp:generateContent", format: "gemini" },
  { method: "POST", path: "/v1beta/models/grp:streamGenerateContent?alt=sse", format: "gemini" },
  { method: "POST", path: "/v1beta/models/grp:countTokens", format: "gemini" },
  { method: "POST", path: "/v1/models/grp:generateContent", format: "gemini" },
  { method: "GET", path: "/v1/models", format: "openai" },
  {
    method: "GET",
    path: "/v1/models",
    format: "anthropic",
    headers: { "anthropic-version": "2023-06-01" },
  },
  { method: "GET", path: "/v1/models/grp", format: "openai" },
  { method: "GET", path: "/v1beta/models", format: "gemini" },
  { method: "GET", path: "/v1beta/models/grp", format: "gemini" },
  { method: "GET", path: "/nope", format: "openai" },
];

function expectErrorShape(format: string, body: any, status: number) {
  if (format === "openai")
    expect(body).toMatchObject({
      error: { message: expect.any(String), type: expect.any(String) },
    });
  if (format === "anthropic")
    expect(body).toMatchObject({
      type: "error",
      error: { type: expect.any(String), message: expect.any(String) },
    });
  if (format === "gemini")
    expect(body).toMatchObject({
      error: { code: status, message: expect.any(String), status: expect.any(String) },
    });
}

describe("auth", () => {
  for (const ep of ENDPOINTS) {
    test(`${ep.method} ${ep.path} without a token → 401 in ${ep.format} format`, async () => {
      const res = await handle(
        new Request(`http://r${ep.path}`, {
          method: ep.method,
          headers: ep.headers,
          body: ep.method === "POST" ? "{}" : undefined,
        }),
      );
      expect(res.status).toBe(401);
      expectErrorShape(ep.format, await res.json(), 401);
    });
  }

  test("a wrong token of the right length is refused", async () => {
    const res = await handle(
      new Request("http://r/v1/models", {
        headers: { authorization: `Bearer ${"x".repeat(TOKEN.length)}` },
      }),
    );
    expect(res.status).toBe(401);
  });

  const styles: [string, RequestInit, string][] = [
    ["Authorization: Bearer", { headers: { authorization: `Bearer ${TOKEN}` } }, ""],
    ["x-api-key", { headers: { "x-api-key": TOKEN } }, ""],
    ["x-goog-api-key", { headers: { "x-goog-api-key": TOKEN } }, ""],
    ["?key=", {}, `?key=${TOKEN}`],
  ];
  for (const [name, init, query] of styles) {
    test(`accepts the token as ${name}`, async () => {
      const res = await handle(new Request(`http://r/v1/models${query}`, init));
      expect(res.status).toBe(200);
    });
  }

  test("/health and HEAD / need no token", async () => {
    expect((await handle(new Request("http://r/health"))).status).toBe(200);
    expect(await (await handle(new Request("http://r/health"))).json()).toEqual({ status: "ok" });
    expect((await handle(new Request("http://r/", { method: "HEAD" }))).status).toBe(200);
  });

  test("without a configured token everything is open", async () => {
    const open = createHandler({ runtime: () => runtime, log: silentLogger });
    expect((await open(new Request("http://r/v1/models"))).status).toBe(200);
  });
});

const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const post = (path: string, body: NonNullable<RequestInit["body"]>) =>
  handle(new Request(`http://r${path}`, { method: "POST", headers: auth, body }));

describe("bad input is a 4xx in the caller's format", () => {
  const cases: [string, string, NonNullable<RequestInit["body"]>, number, string][] = [
    ["malformed JSON", "/v1/chat/completions", "{nope", 400, "not valid JSON"],
    ["empty body", "/v1/messages", "", 400, "empty"],
    ["a JSON array", "/v1beta/models/grp:generateContent", "[]", 400, "JSON object"],
    [
      "invalid UTF-8",
      "/v1/chat/completions",
      new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]),
      400,
      "UTF-8",
    ],
    [
      "model of the wrong type",
      "/v1/chat/completions",
      JSON.stringify({ model: 5, messages: [] }),
      400,
      "model",
    ],
    ["messages missing", "/v1/chat/completions", JSON.stringify({ model: "grp" }), 400, "messages"],
    [
      "messages not an array",
      "/v1/messages",
      JSON.stringify({ model: "grp", max_tokens: 5, messages: "hi" }),
      400,
      "messages",
    ],
    [
      "max_tokens not an integer",
      "/v1/messages",
      JSON.stringify({ model: "grp", max_tokens: 1.5, messages: [{}] }),
      400,
      "max_tokens",
    ],
    [
      "stream not a boolean",
      "/v1/chat/completions",
      JSON.stringify({ model: "grp", messages: [{}], stream: "yes" }),
      400,
      "stream",
    ],
    ["contents missing", "/v1beta/models/grp:generateContent", JSON.stringify({}), 400, "contents"],
    [
      "unknown group",
      "/v1/chat/completions",
      JSON.stringify({ model: "other", messages: [{}] }),
      404,
      "other",
    ],
    [
      "unknown Gemini group",
      "/v1beta/models/other:generateContent",
      JSON.stringify({ contents: [{}] }),
      404,
      "other",
    ],
    ["oversized body", "/v1/messages", "x".repeat(4096), 413, "limit"],
    ["unknown Gemini method", "/v1beta/models/grp:explode", "{}", 404, "endpoint"],
  ];
  for (const [name, path, body, status, text] of cases) {
    test(name, async () => {
      const res = await post(path, body);
      expect(res.status).toBe(status);
      const json = await res.json();
      expect(JSON.stringify(json)).toContain(text);
      expectErrorShape(
        path.startsWith("/v1beta")
          ? "gemini"
          : path.startsWith("/v1/messages")
            ? "anthropic"
            : "openai",
        json,
        status,
      );
    });
  }

  test("oversized body announced by content-length is refused before reading", async () => {
    const body = new ReadableStream({ pull: () => new Promise(() => {}) }); // never delivers
    const req = new Request("http://r/v1/chat/completions", {
      method: "POST",
      headers: { ...auth, "content-length": "999999" },
      body,
      duplex: "half",
    } as RequestInit);
    const res = await handle(req);
    expect(res.status).toBe(413);
    // The body was left unread: the connection cannot carry another request.
    expect(res.headers.get("connection")).toBe("close");
  });

  test("a body that was read whole keeps the connection, even when it is refused", async () => {
    // Fields shaped like a router error's are the client's data, not an instruction.
    const body = { code: "overloaded", status: 503, message: "x", closeConnection: true };
    const res = await post("/v1/chat/completions", JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.headers.get("connection")).toBeNull();
  });

  test("wrong method → 405", async () => {
    const res = await handle(new Request("http://r/v1/chat/completions", { headers: auth }));
    expect(res.status).toBe(405);
  });

  test("an unreachable upstream → 502 in the caller's format", async () => {
    const res = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "grp", messages: [{ role: "user", content: "x" }] }),
    );
    expect(res.status).toBe(502);
    expectErrorShape("openai", await res.json(), 502);
  });
});
