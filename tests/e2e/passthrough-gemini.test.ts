import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { everythingSeen, startHarness, TOKEN, type Harness } from "./harness";

let h: Harness;
let client: GoogleGenAI;
beforeAll(async () => {
  h = await startHarness();
  client = new GoogleGenAI({ apiKey: TOKEN, httpOptions: { baseUrl: h.base } });
});
afterAll(() => h.stop());
beforeEach(() => h.mocks.gemini.reset());

describe("Google GenAI SDK → router → Gemini upstream (passthrough)", () => {
  test("generateContent: text, usage, finish reason; modelVersion names the group", async () => {
    const res = await client.models.generateContent({ model: "gemini", contents: "hello gemini" });
    expect(res.text).toBe("echo: hello gemini");
    expect(res.candidates![0]!.finishReason).toBe("STOP" as never);
    expect(res.modelVersion).toBe("gemini");
    expect(res.usageMetadata?.promptTokenCount).toBe(2);

    const [seen] = h.mocks.gemini.requests;
    expect(seen!.path).toBe("/v1beta/models/gemini-upstream:generateContent");
    expect(seen!.headers["x-goog-api-key"]).toBe("sk-upstream-gemini");
    expect(seen!.headers["x-team"]).toBe("e2e");
    expect(seen!.body.generationConfig.temperature).toBe(0.5);
    expect(everythingSeen(h.mocks.gemini)).not.toContain(TOKEN);
  });

  test("generateContentStream (SSE): chunks arrive in order, each names the group", async () => {
    const stream = await client.models.generateContentStream({
      model: "gemini",
      contents: "a b c",
    });
    let text = "";
    const versions = new Set<string | undefined>();
    let finish: unknown;
    for await (const chunk of stream) {
      text += chunk.text ?? "";
      versions.add(chunk.modelVersion);
      finish = chunk.candidates?.[0]?.finishReason ?? finish;
    }
    expect(text).toBe("echo: a b c");
    expect([...versions]).toEqual(["gemini"]);
    expect(finish).toBe("STOP");
    const [seen] = h.mocks.gemini.requests;
    expect(seen!.path).toBe("/v1beta/models/gemini-upstream:streamGenerateContent");
    expect(seen!.query.alt).toBe("sse");
  });

  test("streamGenerateContent without alt=sse: the streamed JSON array, every element renamed", async () => {
    const res = await fetch(`${h.base}/v1beta/models/gemini:streamGenerateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": TOKEN, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "x y z" }] }] }),
    });
    expect(res.status).toBe(200);
    const items = JSON.parse(await res.text());
    expect(Array.isArray(items)).toBe(true);
    expect(items.length).toBeGreaterThan(1);
    expect(items.every((i: { modelVersion: string }) => i.modelVersion === "gemini")).toBe(true);
    expect(h.mocks.gemini.requests[0]!.query.alt).toBeUndefined();
  });

  test("streamGenerateContent without alt=sse, cut off between elements: the array ends with an error element, the model a failure", async () => {
    const weight = () => h.runtime.health.effectiveWeight("ge", 100);
    for (let i = 0; i < 8; i++) h.runtime.health.success("ge");
    const before = weight();
    h.mocks.gemini.fault({ kind: "truncate", afterChunks: 2 });
    const res = await fetch(`${h.base}/v1beta/models/gemini:streamGenerateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": TOKEN, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "a b c d e f" }] }] }),
    });
    expect(res.status).toBe(200);
    // As a conversion ends it: the elements that arrived, then the error as the last element.
    const items = JSON.parse(await res.text()) as Record<string, unknown>[];
    expect(items.length).toBe(3);
    expect(items.slice(0, 2).every((i) => i.modelVersion === "gemini")).toBe(true);
    expect(items[2]).toEqual({
      error: {
        code: 502,
        message: "upstream (gemini) broke off its stream",
        status: "UNAVAILABLE",
      },
    });
    for (let i = 0; i < 20 && weight() === before; i++) await Bun.sleep(25);
    expect(weight()).toBe(before / 2);
  });

  test("function calls with thought signatures pass through", async () => {
    h.mocks.gemini.reply({
      thinking: { text: "hmm" },
      toolCalls: [{ name: "lookup", args: { q: "x" } }],
    });
    const res = await client.models.generateContent({
      model: "gemini",
      contents: "look it up",
      config: {
        tools: [
          {
            functionDeclarations: [
              {
                name: "lookup",
                parameters: {
                  type: "OBJECT" as never,
                  properties: { q: { type: "STRING" as never } },
                },
              },
            ],
          },
        ],
      },
    });
    expect(res.functionCalls?.[0]?.name).toBe("lookup");
    expect(res.functionCalls?.[0]?.args).toEqual({ q: "x" });
  });

  test("countTokens passes through", async () => {
    const res = await client.models.countTokens({ model: "gemini", contents: "one two three" });
    expect(res.totalTokens).toBe(3);
    expect(h.mocks.gemini.requests[0]!.path).toBe("/v1beta/models/gemini-upstream:countTokens");
  });

  test("an upstream 503 passes through with Gemini's error body", async () => {
    h.mocks.gemini.fault({ kind: "status", status: 503 });
    const err = await client.models
      .generateContent({ model: "gemini", contents: "x" })
      .catch((e) => e);
    expect(err.status).toBe(503);
    expect(err.message).toContain("UNAVAILABLE");
  });

  test("the /v1/models/… alias and a models/ prefix route the same", async () => {
    const res = await fetch(`${h.base}/v1/models/models%2Fgemini:generateContent?key=${TOKEN}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { modelVersion: string }).modelVersion).toBe("gemini");
  });

  test("unknown group → 404 NOT_FOUND in Gemini's shape", async () => {
    const err = await client.models
      .generateContent({ model: "nope", contents: "x" })
      .catch((e) => e);
    expect(err.status).toBe(404);
    expect(err.message).toContain("NOT_FOUND");
  });

  test("models.list in Gemini's shape", async () => {
    const pager = await client.models.list();
    const names = [];
    for await (const m of pager) names.push(m.name);
    expect(names).toContain("models/gemini");
  });
});
