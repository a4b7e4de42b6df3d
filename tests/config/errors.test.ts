import { describe, expect, test } from "bun:test";
import { CONFIG_ISSUE_CODES, ConfigError, loadConfigFile, loadConfigText } from "../../src/config";
import { MINIMAL, issuesOf, onlyIssue } from "./fixtures/helpers";

/**
 * One test per kind of problem the YAML parser and the schema find: each pins the code, the
 * dotted path, the 1-based line:col and the wording. value-errors.test.ts has the rest.
 */
describe("config errors", () => {
  test("YAML syntax error keeps yaml's position", () => {
    const issue = onlyIssue("model_list:\n  - model_name: a\n\tllm_params: {}\n");
    expect(issue).toEqual({
      code: "YAML_SYNTAX",
      path: "",
      pos: { line: 3, col: 1 },
      message: "YAML syntax error: Tabs are not allowed as indentation",
    });
  });

  test("duplicate YAML key is a syntax error", () => {
    const issue = onlyIssue(MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      model: gpt-4"));
    expect(issue.code).toBe("YAML_SYNTAX");
    expect(issue.pos).toEqual({ line: 6, col: 7 });
    expect(issue.message).toBe("YAML syntax error: Map keys must be unique");
  });

  test("wrong type", () => {
    const issue = onlyIssue(MINIMAL.replace("model: gpt-4o", "model: 4"));
    expect(issue).toEqual({
      code: "SCHEMA",
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
      code: "SCHEMA",
      path: "model_list",
      pos: { line: 1, col: 13 },
      message: 'expected a list, got the string "gpt4o"',
    });
  });

  test("missing required key points at the enclosing mapping's key", () => {
    const issue = onlyIssue(MINIMAL.replace("      model: gpt-4o\n", ""));
    expect(issue).toEqual({
      code: "MISSING_KEY",
      path: "model_list[0].llm_params",
      pos: { line: 3, col: 5 },
      message: 'missing required key "model"',
    });
  });

  test("missing top-level section", () => {
    const issue = onlyIssue(MINIMAL.slice(0, MINIMAL.indexOf("router_settings")));
    expect(issue).toEqual({
      code: "MISSING_KEY",
      path: "",
      pos: { line: 1, col: 1 },
      message: 'missing required key "router_settings"',
    });
  });

  test("empty value where a string is required", () => {
    const issue = onlyIssue(MINIMAL.replace("model: gpt-4o", "model:"));
    expect(issue.code).toBe("SCHEMA");
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
      {
        code: "SCHEMA",
        path: "model_list",
        pos: { line: 1, col: 13 },
        message: "must not be empty",
      },
      {
        code: "SCHEMA",
        path: "router_settings.model_groups[0].models",
        pos: { line: 5, col: 15 },
        message: "must not be empty",
      },
    ]);
  });

  test("unknown api_type lists the valid ones", () => {
    const issue = onlyIssue(MINIMAL.replace("api_type: openai", "api_type: azure"));
    expect(issue).toEqual({
      code: "SCHEMA",
      path: "model_list[0].llm_params.api_type",
      pos: { line: 4, col: 17 },
      message: 'unknown api_type "azure"; expected one of: openai, anthropic, gemini, responses',
    });
  });

  test("unknown strategy lists the valid ones", () => {
    const issue = onlyIssue(
      MINIMAL.replace("router_settings:\n", "router_settings:\n  strategy: fastest\n"),
    );
    expect(issue).toEqual({
      code: "SCHEMA",
      path: "router_settings.strategy",
      pos: { line: 7, col: 13 },
      message: 'unknown strategy "fastest"; expected one of: roundrobin, random, leastconn',
    });
  });

  test("api_base must be an http(s) URL", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      api_base: ftp://example.com"),
    );
    expect(issue.code).toBe("SCHEMA");
    expect(issue.path).toBe("model_list[0].llm_params.api_base");
    expect(issue.pos).toEqual({ line: 6, col: 17 });
    expect(issue.message).toBe(
      'api_base must be an http:// or https:// URL, got the string "ftp://example.com"',
    );
  });

  test.each([
    ["-1", "the number -1"],
    ["2.5", "the number 2.5"],
    ['"10"', 'the string "10"'],
  ])("weight %s is rejected", (weight, got) => {
    expect(onlyIssue(MINIMAL + `          weight: ${weight}\n`)).toEqual({
      code: "SCHEMA",
      path: "router_settings.model_groups[0].models[0].weight",
      pos: { line: 11, col: 19 },
      message: `expected a non-negative integer, got ${got}`,
    });
  });

  test("a << merge key that is not a mapping", () => {
    const issue = onlyIssue(
      MINIMAL.replace("      api_type: openai", "      <<: [1]\n      api_type: openai"),
    );
    expect(issue).toEqual({
      code: "YAML_STRUCTURE",
      path: "model_list[0].llm_params",
      pos: { line: 4, col: 12 },
      message: "a << merge key needs a mapping or an alias to one",
    });
  });

  test("empty file", () => {
    expect(onlyIssue("# nothing here\n")).toEqual({
      code: "EMPTY",
      path: "",
      message: "the config is empty; it needs model_list and router_settings",
    });
  });

  test("a missing file is a ConfigError", async () => {
    const err = await loadConfigFile("/nonexistent/config.yaml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]!.code).toBe("FILE");
    expect((err as ConfigError).message).toBe(
      "/nonexistent/config.yaml: config file not found [FILE]",
    );
  });

  test("a directory is a ConfigError", async () => {
    const err = await loadConfigFile(import.meta.dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toEqual({
      code: "FILE",
      path: "",
      message: "config path is a directory, not a file",
    });
  });
});

describe("issue codes", () => {
  test("README.md's configuration section lists every code, and no other", async () => {
    const readme = await Bun.file(`${import.meta.dir}/../../README.md`).text();
    const section = readme.slice(readme.indexOf("\n## Configuration"));
    const table = section.slice(0, section.indexOf("\n## ", 1));
    const listed = [...table.matchAll(/^ *\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(Object.keys(CONFIG_ISSUE_CODES));
  });

  test("valid YAML the config cannot use", () => {
    // The alias stands for nothing, so the key it was given to is then missing its value too.
    expect(issuesOf(MINIMAL.replace("model: gpt-4o", "model: *nowhere"))[0]).toEqual({
      code: "YAML_STRUCTURE",
      path: "model_list[0].llm_params.model",
      pos: { line: 5, col: 14 },
      message: "alias *nowhere has no matching anchor",
    });
    expect(onlyIssue(MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      ~: b"))).toEqual({
      code: "YAML_STRUCTURE",
      path: "model_list[0].llm_params",
      pos: { line: 6, col: 7 },
      message: "mapping keys must be plain strings",
    });
  });

  test("YAML warnings keep the parser's position and never refuse the config", () => {
    const text = MINIMAL.replace("model: gpt-4o", "model: !custom gpt-4o");
    expect(loadConfigText(text, "config.yaml", {}).warnings).toEqual([
      {
        code: "YAML_WARNING",
        path: "",
        pos: { line: 5, col: 14 },
        message: "YAML warning: Unresolved tag: !custom",
      },
    ]);
  });
});
