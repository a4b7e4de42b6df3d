import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { runCheck, runCheckFile, type JsonReport } from "../../src/check";
import type { ConfigIssue } from "../../src/config";
import {
  capture,
  configOf,
  good,
  keysOf,
  mixedConfig,
  startMocks,
  tableRows,
  WRONG_KEY,
  type Mocks,
} from "./fixture";

let m: Mocks;
beforeAll(async () => (m = await startMocks()));
afterAll(async () => Promise.all(Object.values(m).map((x) => x.stop())));
beforeEach(() => Object.values(m).forEach((x) => x.reset()));

describe("--check, basic probe", () => {
  test("reports every model in a table and exits 1 when any failed", async () => {
    const config = await mixedConfig(m);
    const { code, out } = await capture((o) => runCheck(config, o));
    expect(code).toBe(1);
    const rows = Object.fromEntries(tableRows(out).map((r) => [r[0], r]));
    expect(out.split("\n")[0]).toBe(
      "MODEL             API        HOST             RESULT  STATUS  LATENCY  DETAIL",
    );

    const host = (kind: keyof Mocks) => new URL(m[kind].url).host;
    for (const kind of ["openai", "anthropic", "gemini"] as const) {
      expect(rows[`${kind}-good`]!.slice(0, 5)).toEqual([
        `${kind}-good`,
        kind,
        host(kind),
        "ok",
        "200",
      ]);
      expect(rows[`${kind}-good`]![5]).toMatch(/^\d+ ms$/);
      expect(rows[`${kind}-good`]).toHaveLength(6);
    }
    expect(rows["openai-wrong-key"]!.slice(0, 5)).toEqual([
      "openai-wrong-key",
      "openai",
      host("openai"),
      "FAIL",
      "401",
    ]);
    expect(rows["openai-wrong-key"]![6]).toStartWith("Incorrect API key provided");
    expect(rows["anthropic-closed"]!.slice(3, 5)).toEqual(["FAIL", "-"]);
    expect(rows["anthropic-closed"]![6]).toMatch(/^upstream 127\.0\.0\.1:\d+ unreachable: /);
    // Probed without a key, as the router would call it: Gemini refuses a caller without one.
    expect(rows["gemini-no-key"]!.slice(3, 5)).toEqual(["FAIL", "403"]);
    expect(rows["gemini-no-key"]![6]).toStartWith(
      "no api_key configured: Method doesn't allow unregistered callers",
    );
    expect(out).toMatch(/\n\n6 models: 3 ok, 3 failed \((\d+ ms|\d+(\.\d)? s)\)\n$/);

    // The model without a key was probed, with no key at all.
    expect(m.gemini.requests).toHaveLength(2);
    expect(m.gemini.requests.map((r) => r.rejected?.status)).toContain(403);
    expect(m.openai.requests.map((r) => r.rejected?.status)).toContain(401);
    for (const key of keysOf(config)) expect(out).not.toContain(key);
    expect(out).not.toContain("\x1b[");
  });

  test("probes are the smallest real request of each format, accepted by the strict mocks", async () => {
    const config = configOf([good(m, "openai"), good(m, "anthropic"), good(m, "gemini")]);
    expect((await capture((o) => runCheck(config, o))).code).toBe(0);
    const [oa] = m.openai.requests;
    expect(oa!.rejected).toBeUndefined();
    expect(oa!.body).toEqual({
      model: "openai-upstream",
      messages: [{ role: "user", content: "Reply with the single word: ok" }],
      max_tokens: 8,
      stream: false,
    });
    const [an] = m.anthropic.requests;
    expect(an!.rejected).toBeUndefined();
    expect(an!.body.max_tokens).toBe(8);
    expect(an!.headers["anthropic-version"]).toBe("2023-06-01");
    const [ge] = m.gemini.requests;
    expect(ge!.rejected).toBeUndefined();
    expect(ge!.path).toBe("/v1beta/models/gemini-upstream:generateContent");
    expect(ge!.body.generationConfig).toEqual({ maxOutputTokens: 8 });
  });

  test("applies the model's rewrite_header and rewrite_body like routed traffic", async () => {
    const config = configOf([
      {
        ...good(m, "openai"),
        extra: `\n      rewrite_header: {x-team: ops}\n      rewrite_body: {temperature: 0}`,
      },
    ]);
    expect((await capture((o) => runCheck(config, o))).code).toBe(0);
    expect(m.openai.requests[0]!.headers["x-team"]).toBe("ops");
    expect(m.openai.requests[0]!.body.temperature).toBe(0);
  });

  test("JSON form: results per model, probes per kind, and a summary", async () => {
    const config = await mixedConfig(m);
    const { code, out } = await capture((o) => runCheck(config, o), { json: true });
    expect(code).toBe(1);
    const report = JSON.parse(out) as JsonReport;
    expect(report.ok).toBe(false);
    expect(report.config).toEqual({ valid: true, issues: [] });
    expect(report.summary).toMatchObject({ models: 6, ok: 3, failed: 3 });
    expect(report.results.map((r) => [r.model, r.ok])).toEqual([
      ["openai-good", true],
      ["anthropic-good", true],
      ["gemini-good", true],
      ["openai-wrong-key", false],
      ["anthropic-closed", false],
      ["gemini-no-key", false],
    ]);
    const wrong = report.results[3]!;
    expect(wrong).toMatchObject({
      apiType: "openai",
      upstreamModel: "openai-upstream",
      host: new URL(m.openai.url).host,
    });
    expect(wrong.probes).toEqual([
      {
        kind: "basic",
        ok: false,
        status: 401,
        latencyMs: expect.any(Number),
        error: expect.stringContaining("Incorrect API key"),
      },
    ]);
    expect(report.results[5]!.probes[0]).toEqual({
      kind: "basic",
      ok: false,
      status: 403,
      latencyMs: expect.any(Number),
      error: expect.stringContaining("no api_key configured"),
    });
    for (const key of keysOf(config)) expect(out).not.toContain(key);
  });

  test("a model without api_key (Ollama, vLLM, a local server) is probed without auth headers, and passes", async () => {
    const seen: Headers[] = [];
    const local = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        seen.push(req.headers);
        const body = (await req.json()) as { model: string };
        return Response.json({
          id: "chatcmpl-local",
          object: "chat.completion",
          created: 1,
          model: body.model,
          choices: [
            { index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
        });
      },
    });
    try {
      const config = configOf([
        { name: "local", kind: "openai", base: `http://127.0.0.1:${local.port}/v1` },
      ]);
      const { code, out } = await capture((o) => runCheck(config, o));
      expect(tableRows(out)[0]!.slice(3, 5)).toEqual(["ok", "200"]);
      expect(code).toBe(0);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.get("authorization")).toBeNull();
    } finally {
      await local.stop(true);
    }
  });

  test("exits 0 when every model answers", async () => {
    const config = configOf([good(m, "openai"), good(m, "anthropic"), good(m, "gemini")]);
    const { code, out } = await capture((o) => runCheck(config, o));
    expect(code).toBe(0);
    expect(out).toContain("3 models: 3 ok, 0 failed");
  });

  test("colours only when asked to", async () => {
    const config = configOf([
      good(m, "openai"),
      { name: "bad", kind: "gemini", base: m.gemini.apiBase },
    ]);
    const plain = await capture((o) => runCheck(config, o), { color: false });
    const coloured = await capture((o) => runCheck(config, o), { color: true });
    expect(plain.out).not.toContain("\x1b[");
    expect(coloured.out).toContain("\x1b[32mok\x1b[0m");
    expect(coloured.out).toContain("\x1b[31mFAIL\x1b[0m");
    // Same layout: colour codes never count towards column widths.
    const [head, row] = Bun.stripANSI(coloured.out).split("\n");
    expect(row!.indexOf("200")).toBe(head!.indexOf("STATUS"));
    const words = (s: string) => s.replace(/\d+ ms|\d+(\.\d)? s/g, "T").split(/\s+/);
    expect(words(Bun.stripANSI(coloured.out))).toEqual(words(plain.out));
  });

  test("an upstream echoing a key in its error never gets it printed", async () => {
    const config = configOf([
      { name: "echo", kind: "openai", base: m.openai.apiBase, key: WRONG_KEY },
    ]);
    m.openai.fault({
      kind: "status",
      status: 401,
      body: {
        error: {
          message: `key ${WRONG_KEY} and ${m.openai.apiKey} are not valid`,
          type: "invalid_request_error",
        },
      },
    });
    const { code, out } = await capture((o) => runCheck(config, o));
    expect(code).toBe(1);
    expect(out).toContain("key [redacted] and [redacted] are not valid");
    expect(out).not.toContain(WRONG_KEY);
    expect(out).not.toContain(m.openai.apiKey);
  });

  test("invalid selectors make the config invalid: exit 2, nothing probed", async () => {
    const config = configOf([good(m, "openai")]);
    const issue: ConfigIssue = {
      code: "SELECTOR",
      path: "router_settings.model_groups[0].models[0].selector",
      pos: { line: 9, col: 17 },
      message: "jq: syntax error",
    };
    const { code, out } = await capture((o) => runCheck(config, o), {
      checkSelectors: async () => [issue],
    });
    expect(code).toBe(2);
    expect(out).toBe(
      `config invalid:\n  ${config.source}:9:17: router_settings.model_groups[0].models[0].selector: jq: syntax error [SELECTOR]\n`,
    );
    expect(m.openai.requests).toHaveLength(0);
    const json = await capture((o) => runCheck(config, o), {
      json: true,
      checkSelectors: async () => [issue],
    });
    expect(JSON.parse(json.out).config).toEqual({
      valid: false,
      issues: [
        { code: "SELECTOR", path: issue.path, line: 9, col: 17, message: "jq: syntax error" },
      ],
    });
  });

  test("a config file that does not load is reported in the chosen form with exit 2", async () => {
    const path = `${import.meta.dir}/../../.check-test-${process.pid}.yaml`;
    await Bun.write(path, "model_list: [\n");
    try {
      const text = await capture((o) => runCheckFile(path, {}, o));
      expect(text.code).toBe(2);
      expect(text.out).toStartWith("config invalid:\n");
      expect(text.out).toContain("[YAML_SYNTAX]");
      const json = await capture((o) => runCheckFile(path, {}, o), { json: true });
      expect(json.code).toBe(2);
      expect(JSON.parse(json.out)).toMatchObject({
        ok: false,
        config: { valid: false, issues: [{ code: "YAML_SYNTAX", line: 2, col: 1 }] },
        results: [],
      });
    } finally {
      await Bun.file(path).delete();
    }
  });
});
