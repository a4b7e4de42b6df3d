// Cross-provider behaviour of the mocks: faults, abort detection, queues and options.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startMock, type MockUpstream } from "./index.ts";
import { eventually, jsonEvents, parseSse, post } from "./testkit.ts";

let oa: MockUpstream, an: MockUpstream, ge: MockUpstream;
beforeAll(async () => {
  [oa, an, ge] = await Promise.all([
    startMock("openai"),
    startMock("anthropic"),
    startMock("gemini"),
  ]);
});
afterAll(() => Promise.all([oa.stop(), an.stop(), ge.stop()]));
beforeEach(() => [oa, an, ge].forEach((m) => m.reset()));

const openaiChat = (stream: boolean, init?: RequestInit) =>
  post(
    oa,
    "/chat/completions",
    { model: "gpt-4o", stream, messages: [{ role: "user", content: "hi there" }] },
    undefined,
    init,
  );
const anthropicMsg = (stream: boolean) =>
  post(an, "/v1/messages", {
    model: "claude-sonnet-4-5",
    max_tokens: 100,
    stream,
    messages: [{ role: "user", content: "hi there" }],
  });
const geminiGen = (mode: "sse" | "array" | "plain") =>
  post(
    ge,
    `/models/gemini-2.5-flash:${mode === "plain" ? "generateContent" : "streamGenerateContent"}${mode === "sse" ? "?alt=sse" : ""}`,
    {
      contents: [{ role: "user", parts: [{ text: "hi there" }] }],
    },
  );

describe("status faults", () => {
  test("default bodies are each provider's own error shape; the reply waits for the retry", async () => {
    oa.fault({ kind: "status", status: 429 });
    oa.reply({ text: "after retry" });
    const first = await openaiChat(false);
    expect(first.status).toBe(429);
    expect(((await first.json()) as any).error).toMatchObject({
      type: "requests",
      code: "rate_limit_exceeded",
    });
    expect(((await (await openaiChat(false)).json()) as any).choices[0].message.content).toBe(
      "after retry",
    );

    an.fault({ kind: "status", status: 529, headers: { "retry-after": "3" } });
    const res = await anthropicMsg(false);
    expect(res.status).toBe(529);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    });

    ge.fault({ kind: "status", status: 503 });
    const g = await geminiGen("plain");
    expect(g.status).toBe(503);
    expect(((await g.json()) as any).error).toMatchObject({ code: 503, status: "UNAVAILABLE" });
  });

  test("a custom body is sent verbatim", async () => {
    oa.fault({ kind: "status", status: 500, body: { custom: true } });
    const res = await openaiChat(false);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ custom: true });
  });
});

describe("transport faults", () => {
  test("reset drops the connection without a response", async () => {
    oa.fault({ kind: "reset" });
    await expect(openaiChat(false)).rejects.toThrow();
    expect((await oa.waitForRequests(1))[0].aborted).toBe(false);
  });

  test("hang sends nothing until the client aborts, and records the abort", async () => {
    an.fault({ kind: "hang" });
    const ac = new AbortController();
    const pending = post(
      an,
      "/v1/messages",
      { model: "c", max_tokens: 5, messages: [{ role: "user", content: "x" }] },
      undefined,
      { signal: ac.signal },
    );
    const [rec] = await an.waitForRequests(1);
    ac.abort();
    await expect(pending).rejects.toThrow();
    await eventually(() => rec.aborted);
  });

  test("stall streams N events, then goes silent until aborted", async () => {
    oa.fault({ kind: "stall", afterChunks: 2 });
    oa.reply({ text: "a b c d e f" });
    const ac = new AbortController();
    const res = await openaiChat(true, { signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let got = "";
    while (parseSse(got).length < 2) got += new TextDecoder().decode((await reader.read()).value);
    const next = await Promise.race([
      reader.read().then(() => "data"),
      Bun.sleep(150).then(() => "silent"),
    ]);
    expect(next).toBe("silent");
    expect(parseSse(got)).toHaveLength(2);
    ac.abort();
    const [rec] = await oa.waitForRequests(1);
    await eventually(() => rec.aborted);
  });

  test("stall before the first event still sends the status line", async () => {
    ge.fault({ kind: "stall", afterChunks: 0 });
    const res = await geminiGen("sse");
    expect(res.status).toBe(200);
    await res.body!.cancel();
  });

  test("a completed request is not marked aborted", async () => {
    await (await openaiChat(true)).text();
    const [rec] = await oa.waitForRequests(1);
    expect(rec.aborted).toBe(false);
  });
});

describe("stream-cutting faults", () => {
  test("midstream-error uses each provider's native in-stream error", async () => {
    oa.fault({ kind: "midstream-error", afterChunks: 2 });
    const o = parseSse(await (await openaiChat(true)).text());
    expect(o).toHaveLength(3);
    expect(JSON.parse(o[2].data).error.type).toBe("server_error");

    an.fault({ kind: "midstream-error", afterChunks: 3 });
    const a = parseSse(await (await anthropicMsg(true)).text());
    expect(a.map((f) => f.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "error",
    ]);
    expect(JSON.parse(a[3].data)).toMatchObject({
      type: "error",
      error: { type: "overloaded_error" },
    });

    ge.fault({ kind: "midstream-error", afterChunks: 1 });
    const g = (await (await geminiGen("sse")).text()).split("\r\n\r\n");
    expect(JSON.parse(g[1].slice(6))).toEqual({
      error: {
        code: 503,
        message: "The model is overloaded. Please try again later.",
        status: "UNAVAILABLE",
      },
    });

    ge.fault({ kind: "midstream-error", afterChunks: 1 });
    const arr = JSON.parse(await (await geminiGen("array")).text());
    expect(arr).toHaveLength(2);
    expect(arr[1].error.status).toBe("UNAVAILABLE");
  });

  test("truncate closes without the end marker, even when asked for more events than exist", async () => {
    oa.fault({ kind: "truncate", afterChunks: 99 });
    const text = await (await openaiChat(true)).text();
    expect(text).not.toContain("[DONE]");
    expect(jsonEvents(text).some((c) => c.choices[0]?.finish_reason)).toBe(false);

    an.fault({ kind: "truncate", afterChunks: 99 });
    const names = parseSse(await (await anthropicMsg(true)).text()).map((f) => f.event);
    expect(names).not.toContain("message_stop");
    expect(names).not.toContain("message_delta");

    ge.fault({ kind: "truncate", afterChunks: 1 });
    const raw = await (await geminiGen("array")).text();
    expect(raw.startsWith("[{")).toBe(true);
    expect(raw.endsWith("]")).toBe(false);
  });

  test("non-stream bodies are cut in half by truncate", async () => {
    ge.fault({ kind: "truncate", afterChunks: 1 });
    const raw = await (await geminiGen("plain")).text();
    expect(() => JSON.parse(raw)).toThrow();
    expect(raw).toStartWith('{\n  "candidates"');
  });

  test("garbage is a 200 with unparsable JSON or SSE data", async () => {
    oa.fault({ kind: "garbage" });
    const body = await (await openaiChat(false)).text();
    expect(() => JSON.parse(body)).toThrow();
    an.fault({ kind: "garbage" });
    const res = await anthropicMsg(true);
    expect(res.status).toBe(200);
    const frames = parseSse(await res.text());
    expect(() => frames.forEach((f) => JSON.parse(f.data))).toThrow();
  });
});

describe("queues and options", () => {
  test("replies are FIFO, reset clears them and the recorded requests", async () => {
    oa.reply({ text: "first" });
    oa.reply({ text: "second" });
    const texts = [];
    for (let i = 0; i < 2; i++)
      texts.push(((await (await openaiChat(false)).json()) as any).choices[0].message.content);
    expect(texts).toEqual(["first", "second"]);
    const recorded = oa.requests;
    oa.reply({ text: "dropped" });
    oa.reset();
    expect(recorded).toHaveLength(0);
    expect(((await (await openaiChat(false)).json()) as any).choices[0].message.content).toBe(
      "echo: hi there",
    );
  });

  test("a responder answers before the queue, falls through on undefined, and reset removes it", async () => {
    const seen: string[] = [];
    an.respond((req) => {
      seen.push(req.body.messages[0].content);
      return req.body.messages[0].content === "scripted"
        ? { toolCalls: [{ name: "Read", args: { file_path: "/x" } }] }
        : undefined;
    });
    an.reply({ text: "queued" });
    const ask = async (content: string) =>
      (await (
        await post(an, "/v1/messages", {
          model: "c",
          max_tokens: 9,
          messages: [{ role: "user", content }],
        })
      ).json()) as any;

    const scripted = await ask("scripted");
    expect(scripted.content).toMatchObject([
      { type: "tool_use", name: "Read", input: { file_path: "/x" } },
    ]);
    expect((await ask("other")).content).toMatchObject([{ type: "text", text: "queued" }]);
    expect(seen).toEqual(["scripted", "other"]);

    // Rejected requests never reach the script: it only ever sees what a model would see.
    await post(an, "/v1/messages", { model: "c", messages: [] });
    expect(seen).toHaveLength(2);

    an.reset();
    expect((await ask("scripted")).content).toMatchObject([
      { type: "text", text: "echo: scripted" },
    ]);
    an.respond(() => ({ text: "again" }));
    an.respond(undefined);
    expect((await ask("scripted")).content).toMatchObject([
      { type: "text", text: "echo: scripted" },
    ]);
    expect(seen).toHaveLength(2);
  });

  test("waitForRequests resolves on arrival and rejects on timeout", async () => {
    const waiting = ge.waitForRequests(2);
    await geminiGen("plain");
    await geminiGen("plain");
    expect(await waiting).toHaveLength(2);
    await expect(ge.waitForRequests(5, 50)).rejects.toThrow("waited 50ms for 5 requests, got 2");
  });

  test("apiKey and modelSuffix options", async () => {
    const m = await startMock("anthropic", { apiKey: "k-test", modelSuffix: "-snap" });
    try {
      const res = await post(
        m,
        "/v1/messages",
        { model: "claude-x", max_tokens: 9, messages: [{ role: "user", content: "q" }] },
        { "x-api-key": "k-test", "anthropic-version": "2023-06-01" },
      );
      expect(((await res.json()) as any).model).toBe("claude-x-snap");
      expect(m.apiBase).toBe(m.url);
    } finally {
      await m.stop();
    }
  });
});
