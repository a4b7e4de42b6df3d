import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import {
  DEFAULT_API_BASE,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TIMEOUTS,
  formatIssue,
  loadConfigFile,
  loadConfigText,
  type RouterConfig,
} from "../../src/config";
import { MINIMAL, issuesOf } from "./fixtures/helpers";

const load = (text: string): RouterConfig => loadConfigText(text, "config.yaml", {});
const withParams = (extra: string): string =>
  MINIMAL.replace("model: gpt-4o", `model: gpt-4o\n${extra}`);

describe("loading a valid config", () => {
  test("the example fixture loads in full", async () => {
    const config = await loadConfigFile("tests/config/fixtures/example.yaml", {
      ANTHROPIC_API_KEY: "sk-ant",
    });
    expect(config.source).toBe(resolve("tests/config/fixtures/example.yaml"));
    expect(config.strategy).toBe("leastconn");
    expect(config.server.maxBodyBytes).toBe(10 * 1024 * 1024);
    expect(config.models.get("claude")).toEqual({
      name: "claude",
      apiType: "anthropic",
      model: "claude-sonnet-4-5",
      apiBase: "https://api.anthropic.com",
      apiKey: "sk-ant",
      rewriteHeader: { "anthropic-beta": "prompt-caching-2024-07-31", "x-debug": null },
      timeouts: DEFAULT_TIMEOUTS,
      forwardBetas: true,
    });
    expect(config.models.get("flash")!.rewriteBody).toEqual({
      generationConfig: { temperature: 0.2 },
    });
    expect(config.models.get("flash")!.apiKey).toBe("");
    expect(config.groups.get("smart")!.members).toEqual([
      {
        model: "claude",
        weight: 3,
        selector: ".messages | length > 2",
        selectorPos: { line: 30, col: 21 },
      },
      { model: "flash", weight: 100 },
    ]);
    expect(config.warnings).toEqual([]);
  });

  test("defaults: weight 100, strategy roundrobin, api_base per api_type, 32 MiB bodies, empty key", () => {
    const text = `model_list:
  - model_name: o
    llm_params: {api_type: openai, model: m}
  - model_name: a
    llm_params: {api_type: anthropic, model: m}
  - model_name: g
    llm_params: {api_type: gemini, model: m}
router_settings:
  model_groups:
    - name: all
      models: [{name: o}, {name: a}, {name: g}]
`;
    const config = load(text);
    expect(config.strategy).toBe("roundrobin");
    expect(config.server.maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES);
    expect(config.groups.get("all")!.members.map((m) => m.weight)).toEqual([100, 100, 100]);
    for (const [name, type] of [
      ["o", "openai"],
      ["a", "anthropic"],
      ["g", "gemini"],
    ] as const) {
      const model = config.models.get(name)!;
      expect(model.apiBase).toBe(DEFAULT_API_BASE[type]);
      expect(model.apiKey).toBe("");
      expect(model.rewriteHeader).toEqual({});
      expect("rewriteBody" in model).toBe(false);
    }
  });

  test("default_max_tokens and max_output_tokens are read; non-positive values are refused", () => {
    const model = load(
      withParams("      default_max_tokens: 8192\n      max_output_tokens: 16000"),
    ).models.get("gpt4o")!;
    expect(model.defaultMaxTokens).toBe(8192);
    expect(model.maxOutputTokens).toBe(16000);
    const issues = issuesOf(withParams("      max_output_tokens: 0"));
    expect(issues.map((i) => i.path)).toEqual(["model_list[0].llm_params.max_output_tokens"]);
  });

  test("timeouts: seconds in the file, per model over router_settings over defaults", () => {
    const text = MINIMAL.replace(
      "model: gpt-4o",
      "model: gpt-4o\n      timeouts: {idle: 5}",
    ).replace("router_settings:", "router_settings:\n  timeouts: {connect: 2.5, total: 60}");
    expect(load(text).models.get("gpt4o")!.timeouts).toEqual({
      connect: 2500,
      firstByte: DEFAULT_TIMEOUTS.firstByte,
      idle: 5000,
      total: 60_000,
    });
    expect(
      issuesOf(MINIMAL.replace("router_settings:", "router_settings:\n  timeouts: {idle: -1}")).map(
        (i) => i.path,
      ),
    ).toEqual(["router_settings.timeouts.idle"]);
  });

  test("trailing slashes are stripped from api_base", () => {
    const model = load(withParams("      api_base: https://proxy.example.com/v1//")).models.get(
      "gpt4o",
    )!;
    expect(model.apiBase).toBe("https://proxy.example.com/v1");
  });

  test("rewrite_* given as JSON strings or YAML mappings give the same result", () => {
    const asJson = load(
      withParams(`      rewrite_header: '{"X-Foo": "bar", "X-Drop": null}'
      rewrite_body: '{"temperature": 0, "metadata": {"team": "a"}, "stop": null}'`),
    ).models.get("gpt4o")!;
    const asYaml = load(
      withParams(`      rewrite_header:
        X-Foo: bar
        X-Drop: null
      rewrite_body:
        temperature: 0
        metadata: {team: a}
        stop: ~`),
    ).models.get("gpt4o")!;
    expect(asJson.rewriteHeader).toEqual({ "x-foo": "bar", "x-drop": null });
    expect(asJson.rewriteBody).toEqual({ temperature: 0, metadata: { team: "a" }, stop: null });
    expect(asYaml.rewriteHeader).toEqual(asJson.rewriteHeader);
    expect(asYaml.rewriteBody).toEqual(asJson.rewriteBody!);
  });

  test("header names are lower-cased, and two spellings of one name are rejected", () => {
    const model = load(
      withParams("      rewrite_header: {Authorization: x, X-API-Key: y}"),
    ).models.get("gpt4o")!;
    expect(Object.keys(model.rewriteHeader)).toEqual(["authorization", "x-api-key"]);
    const [issue] = issuesOf(withParams(`      rewrite_header: '{"X-Foo": "a", "x-foo": null}'`));
    expect(issue!.code).toBe("DUPLICATE_NAME");
    expect(issue!.message).toBe('header "x-foo" is given twice (as "X-Foo" and "x-foo")');
  });

  test.each([
    ["1048576", 1048576],
    ["512KiB", 512 * 1024],
    ["32MiB", 32 * 1024 ** 2],
    ["1GiB", 1024 ** 3],
    ["10MB", 10_000_000],
    ["1GB", 1_000_000_000],
    ["64kB", 64_000],
    ['"1.5 MB"', 1_500_000],
    ["100B", 100],
    ['"2048"', 2048],
  ])("max_body_size %s is %d bytes", (size, bytes) => {
    expect(load(`server_settings:\n  max_body_size: ${size}\n` + MINIMAL).server.maxBodyBytes).toBe(
      bytes,
    );
  });

  test("max_total_body_size: as given; by default an eighth of the memory, never below max_body_size", () => {
    expect(
      load(`server_settings:\n  max_total_body_size: 256MiB\n` + MINIMAL).server.maxTotalBodyBytes,
    ).toBe(256 * 1024 ** 2);
    const byDefault = load(MINIMAL).server.maxTotalBodyBytes;
    expect(byDefault).toBeGreaterThanOrEqual(DEFAULT_MAX_BODY_BYTES);
    expect(byDefault).toBeLessThanOrEqual(
      require("node:os").totalmem() / 8 + DEFAULT_MAX_BODY_BYTES,
    );
    // A body limit above an eighth of the memory raises the default total with it.
    expect(
      load(`server_settings:\n  max_body_size: 1000GiB\n` + MINIMAL).server.maxTotalBodyBytes,
    ).toBe(1000 * 1024 ** 3);
  });

  test("max_response_size and media: defaults, and values as given", () => {
    const byDefault = load(MINIMAL).server;
    expect(byDefault.maxResponseBytes).toBe(64 * 1024 ** 2);
    expect(byDefault.media).toEqual({
      download: true,
      allowPrivate: false,
      allowHosts: [],
      maxUrls: 8,
      maxBytes: 20 * 1024 ** 2,
      timeoutMs: 10_000,
    });
    const set = load(
      `server_settings:\n  max_response_size: 1MiB\n  media:\n    download: false\n    allow_private: true\n    allow_hosts: [Images.Internal, 10.1.0.0/16, "fd00::/8"]\n    max_urls: 2\n    max_bytes: 5MB\n    timeout: 2.5\n` +
        MINIMAL,
    ).server;
    expect(set.maxResponseBytes).toBe(1024 ** 2);
    expect(set.media).toEqual({
      download: false,
      allowPrivate: true,
      allowHosts: ["images.internal", "10.1.0.0/16", "fd00::/8"],
      maxUrls: 2,
      maxBytes: 5_000_000,
      timeoutMs: 2500,
    });
    const bad = issuesOf(`server_settings:\n  media:\n    allow_hosts: [10.0.0.0/99]\n` + MINIMAL);
    expect(bad.map((i) => [i.code, i.path])).toEqual([
      ["INVALID_VALUE", "server_settings.media.allow_hosts[0]"],
    ]);
  });

  test("forward_betas: false is kept; unset means forward", () => {
    expect(load(withParams("      forward_betas: false")).models.get("gpt4o")!.forwardBetas).toBe(
      false,
    );
    expect(load(MINIMAL).models.get("gpt4o")!.forwardBetas).toBe(true);
  });

  test("anchors and merge keys are resolved", () => {
    const text = `x-common: &common
  api_type: openai
  api_base: https://gateway.example.com/v1
model_list:
  - model_name: a
    llm_params:
      <<: *common
      model: gpt-4o
  - model_name: b
    llm_params:
      <<: *common
      api_type: anthropic
      model: claude
router_settings:
  model_groups:
    - name: g
      models: [{name: a}, {name: b}]
`;
    const config = load(text);
    expect(config.models.get("a")!.apiBase).toBe("https://gateway.example.com/v1");
    expect(config.models.get("b")!.apiType).toBe("anthropic");
    // Merged keys are checked against the schema like any other: this one is only a warning.
    expect(config.warnings.map((w) => w.message)).toEqual(['unknown key "x-common" (ignored)']);
  });

  test("a relative file name is made absolute in source; text loads keep <inline>", () => {
    expect(loadConfigText(MINIMAL, "conf/router.yaml", {}).source).toBe(
      resolve("conf/router.yaml"),
    );
    expect(loadConfigText(MINIMAL, "<inline>", {}).source).toBe("<inline>");
  });
});

describe("warnings", () => {
  test("unknown keys are warnings with a suggestion when one is close", () => {
    const config = load(
      "litellm_settings: {drop_params: true}\n" +
        withParams("      api_bse: https://example.com\n      frobnicate: 1"),
    );
    expect(config.warnings).toEqual([
      {
        code: "UNKNOWN_KEY",
        path: "litellm_settings",
        pos: { line: 1, col: 1 },
        message: 'unknown key "litellm_settings" (ignored)',
      },
      {
        code: "UNKNOWN_KEY",
        path: "model_list[0].llm_params.api_bse",
        pos: { line: 7, col: 7 },
        message: 'unknown key "api_bse" (ignored); did you mean "api_base"?',
      },
      {
        code: "UNKNOWN_KEY",
        path: "model_list[0].llm_params.frobnicate",
        pos: { line: 8, col: 7 },
        message: 'unknown key "frobnicate" (ignored)',
      },
    ]);
    expect(config.models.get("gpt4o")!.apiBase).toBe(DEFAULT_API_BASE.openai);
  });

  test("LiteLLM's litellm_params is flagged with a pointer to llm_params", () => {
    const text = MINIMAL.replace("llm_params:", "litellm_params:");
    const issues = issuesOf(text);
    expect(issues).toEqual([
      {
        code: "MISSING_KEY",
        path: "model_list[0]",
        pos: { line: 2, col: 5 },
        message:
          'missing required key "llm_params"; "litellm_params" looks like a misspelling of it',
      },
    ]);
  });

  test("free-form mappings (headers, body patches) never warn", () => {
    const config = load(
      withParams(
        "      rewrite_header: {X-Anything: a}\n      rewrite_body: {whatever: {deep: 1}}",
      ),
    );
    expect(config.warnings).toEqual([]);
  });
});

describe("many problems at once", () => {
  test("all errors are collected, in file order, and formatted one per line", () => {
    const text = `model_list:
  - model_name: a
    llm_params: {api_type: openia, model: m, rewrite_body: '{'}
  - model_name: a
    llm_params: {api_type: gemini}
router_settings:
  strategy: fast
  model_groups:
    - name: g
      models: [{name: b, weight: -3}]
`;
    const issues = issuesOf(text);
    expect(issues.map((i) => `${i.pos!.line}:${i.pos!.col} ${i.path} ${i.code}`)).toEqual([
      "3:28 model_list[0].llm_params.api_type SCHEMA",
      "3:60 model_list[0].llm_params.rewrite_body INVALID_JSON",
      "4:17 model_list[1].model_name DUPLICATE_NAME",
      "5:5 model_list[1].llm_params MISSING_KEY",
      "7:13 router_settings.strategy SCHEMA",
      "10:23 router_settings.model_groups[0].models[0].name UNKNOWN_MODEL",
      "10:34 router_settings.model_groups[0].models[0].weight SCHEMA",
    ]);
    let message = "";
    try {
      load(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split("\n")).toEqual(issues.map((i) => formatIssue("config.yaml", i)));
    expect(message.split("\n")[0]).toStartWith(
      "config.yaml:3:28: model_list[0].llm_params.api_type: unknown api_type",
    );
  });
});
