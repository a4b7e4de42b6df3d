import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { MockKind, RecordedRequest } from "../mocks";
import { startHarness, TOKEN, type Harness } from "./harness";

/**
 * What the Responses API adds beyond the matrix, through the official SDKs against the strict
 * mocks: its token count answered for every upstream, the statelessness of conversions
 * (previous_response_id), and Codex's tools on upstreams that have no such tools.
 */

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;
let gemini: GoogleGenAI;
beforeAll(async () => {
  h = await startHarness();
  openai = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.base, apiKey: TOKEN, maxRetries: 0 });
  gemini = new GoogleGenAI({ apiKey: TOKEN, httpOptions: { baseUrl: h.base } });
});
afterAll(() => h.stop());
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

const body = (r: RecordedRequest) => r.body as Record<string, any>;

// Fifty ordinary English words: any sane tokenizer lands near one token per word.
const FIFTY_WORDS =
  "The harbour was quiet in the early morning when the fishing boats came back with their nets full. " +
  "Children ran along the pier to watch the gulls circle above the masts, and an old sailor sat on a barrel " +
  "mending ropes while he told stories about storms out at sea.";

describe("/v1/responses/input_tokens for every upstream", () => {
  const count = (model: string, input: string, instructions?: string) =>
    openai.responses.inputTokens
      .count({ model, input, ...(instructions ? { instructions } : {}) })
      .withResponse();

  // Where each upstream counts, and what the mock counts (words of the instructions and input).
  // A Responses upstream is passthrough, as every same-format call is: its answer as it sent it.
  const counted: { upstream: MockKind; path: string; header: string | null }[] = [
    { upstream: "responses", path: "/v1/responses/input_tokens", header: null },
    { upstream: "anthropic", path: "/v1/messages/count_tokens", header: "upstream" },
    { upstream: "gemini", path: "/v1beta/models/gemini-upstream:countTokens", header: "upstream" },
  ];
  for (const { upstream, path, header } of counted) {
    test(`→ ${upstream}: the upstream's own count`, async () => {
      const { data, response } = await count(upstream, "one two three four five", "Be brief.");
      expect(response.headers.get("x-llm-router-token-count")).toBe(header);
      expect(data).toEqual({ object: "response.input_tokens", input_tokens: 7 });
      const [seen] = h.mocks[upstream].requests;
      expect(seen!.path).toBe(path);
      expect(seen!.rejected).toBeUndefined();
    });
  }

  test("→ openai (no count endpoint): a plausible estimate, nothing sent upstream", async () => {
    const { data, response } = await count("openai", FIFTY_WORDS);
    expect(response.headers.get("x-llm-router-token-count")).toBe("estimate");
    expect(data.input_tokens).toBeGreaterThanOrEqual(25);
    expect(data.input_tokens).toBeLessThanOrEqual(100);
    expect(h.mocks.openai.requests).toHaveLength(0);
  });

  test("the upstream count fails (500) → still 200, with an estimate", async () => {
    h.mocks.anthropic.fault({ kind: "status", status: 500 });
    const { data, response } = await count("anthropic", FIFTY_WORDS);
    expect(h.mocks.anthropic.requests).toHaveLength(1);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-llm-router-token-count")).toBe("estimate");
    expect(data.input_tokens).toBeGreaterThanOrEqual(25);
    expect(data.input_tokens).toBeLessThanOrEqual(100);
  });

  test("Anthropic and Gemini clients' counts → a Responses upstream ask its input_tokens", async () => {
    const a = await anthropic.messages
      .countTokens({
        model: "responses",
        system: "Answer briefly.",
        messages: [{ role: "user", content: "one two three four five" }],
      })
      .withResponse();
    expect(a.data.input_tokens).toBe(7);
    expect(a.response.headers.get("x-llm-router-token-count")).toBe("upstream");
    const g = await gemini.models.countTokens({ model: "responses", contents: "alpha beta gamma" });
    expect(g.totalTokens).toBe(3);
    const seen = h.mocks.responses.requests;
    expect(seen.map((r) => [r.path, r.rejected])).toEqual([
      ["/v1/responses/input_tokens", undefined],
      ["/v1/responses/input_tokens", undefined],
    ]);
    expect(body(seen[0]!).model).toBe("gpt-responses-upstream");
  });
});

describe("previous_response_id on a converted call", () => {
  for (const upstream of ["openai", "anthropic", "gemini"] as const) {
    test(`→ ${upstream}: 400 in OpenAI's shape saying the router keeps no state; nothing sent`, async () => {
      const err = await openai.responses
        .create({ model: upstream, input: "and then?", previous_response_id: "resp_1" })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      const e = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect(e.type).toBe("invalid_request_error");
      expect(e.message).toContain("keeps no conversation state");
      expect(e.message).toContain("input");
      expect(h.mocks[upstream].requests).toHaveLength(0);
    });
  }
});

describe("Codex's tools on an upstream without them", () => {
  const PATCH = "*** Begin Patch\n*** Update File: a.txt\n-a\n+b\n*** End Patch\n";
  const tools = [
    {
      type: "namespace",
      name: "mcp__docs",
      description: "Documentation server",
      tools: [
        {
          type: "function",
          name: "search",
          description: "Search the docs",
          parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
        },
      ],
    },
    {
      type: "custom",
      name: "apply_patch",
      format: { type: "grammar", syntax: "lark", definition: "start: /.+/s" },
    },
    { type: "web_search" },
  ] as unknown as OpenAI.Responses.Tool[];

  for (const upstream of ["anthropic", "gemini", "openai"] as const) {
    test(`→ ${upstream}: calls come back by the client's names, kinds and namespaces; built-ins dropped with a warning`, async () => {
      const mock = h.mocks[upstream];
      mock.reply({
        toolCalls: [
          { id: "call_a", name: "mcp__docs__search", args: { q: "stream" } },
          { id: "call_b", name: "apply_patch", input: PATCH },
        ],
      });
      const { data, response } = await openai.responses
        .create({ model: upstream, input: "search, then patch", tools })
        .withResponse();
      expect(mock.requests[0]!.rejected).toBeUndefined();
      expect(response.headers.get("x-llm-router-warning-detail")).toContain(
        "tools[].type=web_search",
      );
      const [search, patch] = data.output;
      expect(search).toMatchObject({
        type: "function_call",
        name: "search",
        namespace: "mcp__docs",
      });
      expect(search!.type === "function_call" && JSON.parse(search.arguments)).toEqual({
        q: "stream",
      });
      expect(patch).toMatchObject({ type: "custom_tool_call", name: "apply_patch", input: PATCH });
    });
  }
});
