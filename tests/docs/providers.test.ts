import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Seen } from "../mocks/providers";
import { docBlock } from "./blocks";
import {
  createLab,
  KEYS,
  outcomes,
  recipe,
  runCheck,
  startMocks,
  type Lab,
  type Mocks,
} from "./provider-recipes";

/**
 * Each provider block of the README, as a reader copies it, run through
 * `llm-router --check=stream,tools` (its own process) against a mock as strict as the provider:
 * exit 0, and the mock saw what the recipe promises — the path under the provider's api_base,
 * the key where the provider wants it (and none for a local server), the fields the recipe sets.
 * Where a provider refuses part of a probe (a forced tool_choice, a call that is not streamed),
 * the mock's refusal and the report's note are checked too. What only a served request shows
 * (selectors, reasoning reaching a client, removed fields) is in providers-serve.test.ts.
 */

setDefaultTimeout(60_000);

let lab: Lab;
let m: Mocks;
beforeAll(async () => {
  lab = await createLab("provider-recipes");
  m = startMocks();
});
afterAll(async () => {
  await Promise.all(Object.values(m ?? {}).map((x) => x.stop()));
  await lab?.cleanup();
});

/** Status and refusal of each request, in order; a probe that was asked again shows twice. */
const trail = (requests: Seen[]) => requests.map((r) => [r.status, r.refused ?? "ok"]);
const everyRequest = (requests: Seen[], check: (r: Seen) => void) => {
  expect(requests.length).toBeGreaterThan(0);
  requests.forEach(check);
};
const bearer = (key: string) => (r: Seen) => expect(r.headers.authorization).toBe(`Bearer ${key}`);
const FORCED_THEN_AUTO = "upstream refuses a forced tool_choice; probed again with auto";
const STREAMED = "upstream answers only streams; probed again as a stream";

describe("the README's provider recipes pass --check=stream,tools against strict mocks", () => {
  test("DashScope: enable_thinking as each entry sets it; the thinking entry is asked for streams", async () => {
    const { code, report } = await runCheck(lab, recipe("provider-dashscope", m.dashscope));
    expect(code).toBe(0);
    const reqs = m.dashscope.requests;
    everyRequest(reqs, (r) => {
      expect(r.path).toBe("/compatible-mode/v1/chat/completions");
      bearer(KEYS.DASHSCOPE_API_KEY)(r);
      expect(typeof r.body.enable_thinking).toBe("boolean");
    });
    const plain = reqs.filter((r) => r.body.enable_thinking === false);
    const thinking = reqs.filter((r) => r.body.enable_thinking === true);
    // The plain entry answers every probe as asked, the tool probe forced.
    expect(trail(plain)).toEqual([
      [200, "ok"],
      [200, "ok"],
      [200, "ok"],
    ]);
    expect(plain.find((r) => r.body.tools)!.body.tool_choice).toBe("required");
    // The thinking entry refuses what DashScope refuses while thinking, in its words.
    expect(thinking.filter((r) => r.status === 400).map((r) => r.refused)).toEqual(
      expect.arrayContaining([
        "parameter.enable_thinking must be set to false for non-streaming calls",
        expect.stringContaining("The tool_choice parameter does not support being set to required"),
      ]),
    );
    expect(thinking.filter((r) => r.status === 200).every((r) => r.body.stream === true)).toBe(
      true,
    );
    expect(outcomes(report)).toEqual({
      "qwen-plus": { basic: [true], stream: [true], tools: [true] },
      "qwen-plus-thinking": {
        basic: [true, STREAMED],
        stream: [true],
        tools: [true, `${FORCED_THEN_AUTO}; ${STREAMED}`],
      },
    });
  });

  test("Zhipu: both endpoints on one key, each on its own path and header", async () => {
    const { code, report } = await runCheck(
      lab,
      recipe("provider-zhipu", m.zhipuOpenAI, m.zhipuAnthropic),
    );
    expect(code).toBe(0);
    everyRequest(m.zhipuOpenAI.requests, (r) => {
      expect(r.path).toBe("/api/paas/v4/chat/completions");
      bearer(KEYS.ZHIPU_API_KEY)(r);
    });
    everyRequest(m.zhipuAnthropic.requests, (r) => {
      expect(r.path).toBe("/api/anthropic/v1/messages");
      expect(r.headers["x-api-key"]).toBe(KEYS.ZHIPU_API_KEY);
      expect(r.headers["anthropic-version"]).toBeDefined();
      expect(r.status).toBe(200);
    });
    // The OpenAI endpoint takes no forced tool_choice; asked again with auto, it answers.
    const tools = m.zhipuOpenAI.requests.filter((r) => r.body.tools);
    expect(tools.map((r) => [r.body.tool_choice, r.status, r.refused ?? "ok"])).toEqual([
      ["required", 400, "Tool choice must be auto"],
      ["auto", 200, "ok"],
    ]);
    expect(outcomes(report)).toEqual({
      glm: { basic: [true], stream: [true], tools: [true, FORCED_THEN_AUTO] },
      "glm-anthropic": { basic: [true], stream: [true], tools: [true] },
    });
  });

  test("DeepSeek: at the root of its host; thinking unless the second entry turns it off", async () => {
    const { code, report } = await runCheck(lab, recipe("provider-deepseek", m.deepseek));
    expect(code).toBe(0);
    everyRequest(m.deepseek.requests, (r) => {
      expect(r.path).toBe("/chat/completions");
      bearer(KEYS.DEEPSEEK_API_KEY)(r);
    });
    const off = m.deepseek.requests.filter((r) => r.body.thinking?.type === "disabled");
    const on = m.deepseek.requests.filter((r) => r.body.thinking === undefined);
    expect(trail(off)).toEqual([
      [200, "ok"],
      [200, "ok"],
      [200, "ok"],
    ]);
    expect(off.find((r) => r.body.tools)!.body.tool_choice).toBe("required");
    expect(
      on.filter((r) => r.body.tools).map((r) => [r.body.tool_choice, r.refused ?? "ok"]),
    ).toEqual([
      ["required", "Thinking mode does not support this tool_choice"],
      ["auto", "ok"],
    ]);
    expect(outcomes(report)).toEqual({
      deepseek: { basic: [true], stream: [true], tools: [true, FORCED_THEN_AUTO] },
      "deepseek-no-thinking": { basic: [true], stream: [true], tools: [true] },
    });
  });

  test("Moonshot: /v1 on its host; no sampling field reaches kimi-k2.6", async () => {
    const { code, report } = await runCheck(lab, recipe("provider-moonshot", m.moonshot));
    expect(code).toBe(0);
    everyRequest(m.moonshot.requests, (r) => {
      expect(r.path).toBe("/v1/chat/completions");
      bearer(KEYS.MOONSHOT_API_KEY)(r);
      for (const k of ["temperature", "top_p", "presence_penalty", "frequency_penalty"])
        expect(r.body).not.toHaveProperty(k);
    });
    expect(outcomes(report).kimi).toEqual({
      basic: [true],
      stream: [true],
      tools: [true, FORCED_THEN_AUTO],
    });
  });

  test("OpenRouter: /api/v1, with the attribution headers on every call", async () => {
    const { code, report } = await runCheck(lab, recipe("provider-openrouter", m.openrouter));
    expect(code).toBe(0);
    everyRequest(m.openrouter.requests, (r) => {
      expect(r.path).toBe("/api/v1/chat/completions");
      bearer(KEYS.OPENROUTER_API_KEY)(r);
      expect(r.headers["http-referer"]).toBe("https://example.com/my-app");
      expect(r.headers["x-openrouter-title"]).toBe("My app");
      expect(r.status).toBe(200);
    });
    expect(outcomes(report)["sonnet-openrouter"]).toEqual({
      basic: [true],
      stream: [true],
      tools: [true],
    });
  });

  test("Ollama and vLLM: no key, and none sent", async () => {
    for (const [id, mock, model] of [
      ["provider-ollama", m.ollama, "gpt-oss"],
      ["provider-vllm", m.vllm, "qwen3-local"],
    ] as const) {
      const { code, report } = await runCheck(lab, recipe(id, mock));
      expect(code).toBe(0);
      everyRequest(mock.requests, (r) => {
        expect(r.path).toBe("/v1/chat/completions");
        expect(r.headers.authorization).toBeUndefined();
        expect(r.status).toBe(200);
      });
      expect(outcomes(report)[model]).toEqual({ basic: [true], stream: [true], tools: [true] });
    }
    // Not the router's own port 8000, which is vLLM's default too.
    expect(docBlock("provider-vllm").code).toContain("api_base: http://localhost:8001/v1");
  });

  test("Azure: the v1 path without api-version, the deployment as the model, the key as Bearer", async () => {
    const { code, report } = await runCheck(lab, recipe("provider-azure", m.azure));
    expect(code).toBe(0);
    everyRequest(m.azure.requests, (r) => {
      expect([r.path, r.query, r.body.model]).toEqual([
        "/openai/v1/chat/completions",
        {},
        "gpt-4.1-mini",
      ]);
      bearer(KEYS.AZURE_OPENAI_API_KEY)(r);
      expect(r.status).toBe(200);
    });
    expect(outcomes(report)["azure-gpt"]).toEqual({ basic: [true], stream: [true], tools: [true] });
  });
});

describe("what the recipes say does not fit, does not", () => {
  test("Azure's deployments URL with ?api-version: the router's path lands after the query", async () => {
    const old = recipe("provider-azure", m.azure).replace(
      /(api_base: \S+)\/openai\/v1/,
      "$1/openai/deployments/gpt-4.1-mini?api-version=2024-10-21",
    );
    const before = m.azure.requests.length;
    const { code, report } = await runCheck(lab, old);
    expect(code).toBe(1);
    expect(report.results[0]!.probes[0]).toMatchObject({ ok: false, status: 404 });
    const seen = m.azure.requests[before]!;
    expect([seen.path, seen.query]).toEqual([
      "/openai/deployments/gpt-4.1-mini",
      { "api-version": "2024-10-21/chat/completions" },
    ]);
  });

  // The mock listens on loopback, not on an *.openai.azure.com name, so the router sends it
  // max_tokens as to any other host: a reasoning deployment behind a gateway sees the same.
  test("an Azure reasoning deployment behind another host name refuses max_tokens: --check says so", async () => {
    const reasoning = recipe("provider-azure", m.azure).replace(
      "model: gpt-4.1-mini",
      "model: gpt-5-mini",
    );
    const { code, report } = await runCheck(lab, reasoning);
    expect(code).toBe(0);
    expect(outcomes(report)["azure-gpt"]!.basic).toEqual([
      true,
      "upstream refuses max_tokens; probed again with max_completion_tokens",
    ]);
  });
});
