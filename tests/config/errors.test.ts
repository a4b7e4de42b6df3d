import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfigFile, loadConfigText } from "../../src/config";
import { MINIMAL, issuesOf, onlyIssue } from "./fixtures/helpers";

/** One test per kind of problem: each pins the dotted path, the 1-based line:col and the wording. */
describe("config errors", () => {
  test("YAML syntax error keeps yaml's position", () => {
    const issue = onlyIssue("model_list:\n  - model_name: a\n\tllm_params: {}\n");
    expect(issue).toEqual({
      path: "",
      pos: { line: 3, col: 1 },
      message: "YAML syntax error: Tabs are not allowed as indentation",
    });
  });

  test("duplicate YAML key is a syntax error", () => {
    const issue = onlyIssue(MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      model: gpt-4"));
    expect(issue.pos).toEqual({ line: 6, col: 7 });
    expect(issue.message).toBe("YAML syntax error: Map keys must be unique");
  });

  test("wrong type", () => {
    const issue = onlyIssue(MINIMAL.replace("model: gpt-4o", "model: 4"));
    expect(issue).toEqual({
      path: "model_list[0].llm_params.model",
      pos: { line: 5, col: 14 },
      message: "expected a string, got the number 4",
    });
  });

  test("wrong type for a list", () => {
    const issue = onlyIssue(
      MINIMAL.replace(/model_list:\n(.|\n)*router_settings/, "model_list: gpt4o\nrouter_settings"),
    );
    expect(issue).toEqual({
      path: "model_list",
      pos: { line: 1, col: 13 },
      message: 'expected a list, got the string "gpt4o"',
    });
  });

  test("missing required key points at the enclosing mapping's key", () => {
    const issue = onlyIssue(MINIMAL.replace("      model: gpt-4o\n", ""));
    expect(issue).toEqual({
      path: "model_list[0].llm_params",
      pos: { line: 3, col: 5 },
      message: 'missing required key "model"',
    });
  });

  test("missing top-level section", () => {
    const issue = onlyIssue(MINIMAL.slice(0, MINIMAL.indexOf("router_settings")));
    expect(issue).toEqual({
      path: "",
      pos: { line: 1, col: 1 },
      message: 'missing required key "router_settings"',
    });
  });

  test("empty value where a string is required", () => {
    const issue = onlyIssue(MINIMAL.replace("model: gpt-4o", "model:"));
    expect(issue.path).toBe("model_list[0].llm_params.model");
    expect(issue.pos).toEqual({ line: 5, col: 7 });
    expect(issue.message).toBe("expected a string, got an empty value");
  });

  test("empty model_list and empty group", () => {
    const issues = issuesOf(
      MINIMAL.replace(
        /model_list:\n(.|\n)*router_settings/,
        "model_list: []\nrouter_settings",
      ).replace("models:\n        - name: gpt4o", "models: []"),
    );
    expect(issues).toEqual([
      { path: "model_list", pos: { line: 1, col: 13 }, message: "must not be empty" },
      {
        path: "router_settings.model_groups[0].models",
        pos: { line: 5, col: 15 },
        message: "must not be empty",
      },
    ]);
  });

  test("unknown api_type lists the valid ones", () => {
    const issue = onlyIssue(MINIMAL.replace("api_type: openai", "api_type: azure"));
    expect(issue).toEqual({
      path: "model_list[0].llm_params.api_type",
      pos: { line: 4, col: 17 },
      message: 'unknown api_type "azure"; expected one of: openai, anthropic, gemini',
    });
  });

  test("unknown strategy lists the valid ones", () => {
    const issue = onlyIssue(
      MINIMAL.replace("router_settings:\n", "router_settings:\n  strategy: fastest\n"),
    );
    expect(issue).toEqual({
      path: "router_settings.strategy",
      pos: { line: 7, col: 13 },
      message: 'unknown strategy "fastest"; expected one of: roundrobin, random, leastconn',
    });
  });

  test("api_base must be an http(s) URL", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      api_base: ftp://example.com"),
    );
    expect(issue.path).toBe("model_list[0].llm_params.api_base");
    expect(issue.pos).toEqual({ line: 6, col: 17 });
    expect(issue.message).toBe(
      'api_base must be an http:// or https:// URL, got the string "ftp://example.com"',
    );
  });

  test("duplicate model_name says where the first one is", () => {
    const text = MINIMAL.replace(
      "router_settings:",
      "  - model_name: gpt4o\n    llm_params: {api_type: gemini, model: g}\nrouter_settings:",
    );
    expect(onlyIssue(text)).toEqual({
      path: "model_list[1].model_name",
      pos: { line: 6, col: 17 },
      message: 'duplicate model_name "gpt4o" (first defined at line 2, col 17)',
    });
  });

  test("duplicate group name", () => {
    const text = MINIMAL + "    - name: default\n      models: [{name: gpt4o}]\n";
    expect(onlyIssue(text)).toEqual({
      path: "router_settings.model_groups[1].name",
      pos: { line: 11, col: 13 },
      message: 'duplicate group name "default" (first defined at line 8, col 13)',
    });
  });

  test("group naming an unknown model suggests the closest", () => {
    expect(onlyIssue(MINIMAL.replace("- name: gpt4o", "- name: gpt4"))).toEqual({
      path: "router_settings.model_groups[0].models[0].name",
      pos: { line: 10, col: 17 },
      message: 'model "gpt4" is not defined in model_list; did you mean "gpt4o"?',
    });
  });

  test("group naming an unknown model with nothing close lists what exists", () => {
    const issue = onlyIssue(MINIMAL.replace("- name: gpt4o", "- name: mistral"));
    expect(issue.message).toBe('model "mistral" is not defined in model_list (defined: gpt4o)');
  });

  test("a model twice in one group", () => {
    const issue = onlyIssue(MINIMAL + "        - name: gpt4o\n          weight: 5\n");
    expect(issue).toEqual({
      path: "router_settings.model_groups[0].models[1].name",
      pos: { line: 11, col: 17 },
      message: 'model "gpt4o" is listed twice in group "default" (first at line 10, col 17)',
    });
  });

  test("the same model in two groups is fine", () => {
    const config = loadConfigText(
      MINIMAL + "    - name: other\n      models: [{name: gpt4o}]\n",
      "c.yaml",
      {},
    );
    expect([...config.groups.keys()]).toEqual(["default", "other"]);
  });

  test.each([
    ["-1", "the number -1"],
    ["2.5", "the number 2.5"],
    ['"10"', 'the string "10"'],
  ])("weight %s is rejected", (weight, got) => {
    expect(onlyIssue(MINIMAL + `          weight: ${weight}\n`)).toEqual({
      path: "router_settings.model_groups[0].models[0].weight",
      pos: { line: 11, col: 19 },
      message: `expected a non-negative integer, got ${got}`,
    });
  });

  test("invalid JSON in rewrite_header includes the parser's message", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", `model: gpt-4o\n      rewrite_header: '{"X-Foo": }'`),
    );
    expect(issue.path).toBe("model_list[0].llm_params.rewrite_header");
    expect(issue.pos).toEqual({ line: 6, col: 23 });
    let parserMessage = "";
    try {
      JSON.parse('{"X-Foo": }');
    } catch (err) {
      parserMessage = (err as Error).message;
    }
    expect(issue.message).toBe(`rewrite_header is not valid JSON: ${parserMessage}`);
  });

  test("invalid JSON in rewrite_body", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", `model: gpt-4o\n      rewrite_body: "{temperature: 0}"`),
    );
    expect(issue.path).toBe("model_list[0].llm_params.rewrite_body");
    expect(issue.pos).toEqual({ line: 6, col: 21 });
    expect(issue.message).toStartWith("rewrite_body is not valid JSON: ");
  });

  test("rewrite_body JSON that is not an object", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      rewrite_body: '[1, 2]'"),
    );
    expect(issue.message).toBe("rewrite_body must be a JSON object, got a list");
  });

  test("rewrite_header value of the wrong type, in a YAML mapping", () => {
    const text = MINIMAL.replace(
      "model: gpt-4o",
      "model: gpt-4o\n      rewrite_header:\n        X-Retries: 3",
    );
    expect(onlyIssue(text)).toEqual({
      path: "model_list[0].llm_params.rewrite_header.X-Retries",
      pos: { line: 7, col: 20 },
      message: "a header value must be a string, or null to remove the header",
    });
  });

  test("rewrite_header value of the wrong type, in a JSON string, points at the string", () => {
    const text = MINIMAL.replace(
      "model: gpt-4o",
      `model: gpt-4o\n      rewrite_header: '{"X-A": "ok", "X-B": true}'`,
    );
    expect(onlyIssue(text)).toEqual({
      path: "model_list[0].llm_params.rewrite_header.X-B",
      pos: { line: 6, col: 23 },
      message: "a header value must be a string, or null to remove the header",
    });
  });

  test("rewrite_header of the wrong kind altogether", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      rewrite_header: [a]"),
    );
    expect(issue.message).toBe("expected a string or a mapping, got a list");
  });

  test("invalid header name", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", `model: gpt-4o\n      rewrite_header: {"X Foo": a}`),
    );
    expect(issue.path).toBe('model_list[0].llm_params.rewrite_header["X Foo"]');
    expect(issue.message).toBe('"X Foo" is not a valid header name');
  });

  test("max_total_body_size below max_body_size", () => {
    const issue = onlyIssue(
      `server_settings:\n  max_body_size: 2MiB\n  max_total_body_size: 1MiB\n` + MINIMAL,
    );
    expect(issue.path).toBe("server_settings.max_total_body_size");
    expect(issue.pos).toEqual({ line: 3, col: 24 });
    expect(issue.message).toBe(
      "max_total_body_size (1048576 bytes) must be at least max_body_size (2097152 bytes)",
    );
  });

  test.each(["12 parsecs", "-5", "0", "1.5"])("bad max_total_body_size %s", (size) => {
    const issue = onlyIssue(`server_settings:\n  max_total_body_size: ${size}\n` + MINIMAL);
    expect(issue.path).toBe("server_settings.max_total_body_size");
    expect(issue.message).toMatch(/^max_total_body_size must be /);
  });

  test.each(["12 parsecs", "-5", "0", "MiB", "0KB", "1.5"])("bad max_body_size %s", (size) => {
    const issue = onlyIssue(`server_settings:\n  max_body_size: ${size}\n` + MINIMAL);
    expect(issue.path).toBe("server_settings.max_body_size");
    expect(issue.pos).toEqual({ line: 2, col: 18 });
    expect(issue.message).toMatch(/^max_body_size must be /);
  });

  test("a << merge key that is not a mapping", () => {
    const issue = onlyIssue(
      MINIMAL.replace("      api_type: openai", "      <<: [1]\n      api_type: openai"),
    );
    expect(issue).toEqual({
      path: "model_list[0].llm_params",
      pos: { line: 4, col: 12 },
      message: "a << merge key needs a mapping or an alias to one",
    });
  });

  test("empty file", () => {
    expect(onlyIssue("# nothing here\n").message).toBe(
      "the config is empty; it needs model_list and router_settings",
    );
  });

  test("a missing file is a ConfigError", async () => {
    const err = await loadConfigFile("/nonexistent/config.yaml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe("/nonexistent/config.yaml: config file not found");
  });

  test("a directory is a ConfigError", async () => {
    const err = await loadConfigFile(import.meta.dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]!.message).toBe("config path is a directory, not a file");
  });
});
