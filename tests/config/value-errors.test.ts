import { describe, expect, test } from "bun:test";
import { loadConfigText, type ConfigIssueCode } from "../../src/config";
import { MINIMAL, onlyIssue } from "./fixtures/helpers";

/**
 * Problems the schema cannot see: names used twice, references to models, JSON inside strings,
 * header names, sizes and URLs. Each test pins the code, the path, the line:col and the wording.
 */
describe("config errors after the schema", () => {
  test("duplicate model_name says where the first one is", () => {
    const text = MINIMAL.replace(
      "router_settings:",
      "  - model_name: gpt4o\n    llm_params: {api_type: gemini, model: g}\nrouter_settings:",
    );
    expect(onlyIssue(text)).toEqual({
      code: "DUPLICATE_NAME",
      path: "model_list[1].model_name",
      pos: { line: 6, col: 17 },
      message: 'duplicate model_name "gpt4o" (first defined at line 2, col 17)',
    });
  });

  test("duplicate group name", () => {
    const text = MINIMAL + "    - name: default\n      models: [{name: gpt4o}]\n";
    expect(onlyIssue(text)).toEqual({
      code: "DUPLICATE_NAME",
      path: "router_settings.model_groups[1].name",
      pos: { line: 11, col: 13 },
      message: 'duplicate group name "default" (first defined at line 8, col 13)',
    });
  });

  test("group naming an unknown model suggests the closest", () => {
    expect(onlyIssue(MINIMAL.replace("- name: gpt4o", "- name: gpt4"))).toEqual({
      code: "UNKNOWN_MODEL",
      path: "router_settings.model_groups[0].models[0].name",
      pos: { line: 10, col: 17 },
      message: 'model "gpt4" is not defined in model_list; did you mean "gpt4o"?',
    });
  });

  test("group naming an unknown model with nothing close lists what exists", () => {
    const issue = onlyIssue(MINIMAL.replace("- name: gpt4o", "- name: mistral"));
    expect(issue.code).toBe("UNKNOWN_MODEL");
    expect(issue.message).toBe('model "mistral" is not defined in model_list (defined: gpt4o)');
  });

  test("a model twice in one group", () => {
    const issue = onlyIssue(MINIMAL + "        - name: gpt4o\n          weight: 5\n");
    expect(issue).toEqual({
      code: "DUPLICATE_NAME",
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

  test("invalid JSON in rewrite_header includes the parser's message", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", `model: gpt-4o\n      rewrite_header: '{"X-Foo": }'`),
    );
    expect(issue.code).toBe("INVALID_JSON");
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
    expect(issue.code).toBe("INVALID_JSON");
    expect(issue.path).toBe("model_list[0].llm_params.rewrite_body");
    expect(issue.pos).toEqual({ line: 6, col: 21 });
    expect(issue.message).toStartWith("rewrite_body is not valid JSON: ");
  });

  test("rewrite_body JSON that is not an object", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      rewrite_body: '[1, 2]'"),
    );
    expect(issue.code).toBe("INVALID_JSON");
    expect(issue.message).toBe("rewrite_body must be a JSON object, got a list");
  });

  test("rewrite_header value of the wrong type, in a YAML mapping", () => {
    const text = MINIMAL.replace(
      "model: gpt-4o",
      "model: gpt-4o\n      rewrite_header:\n        X-Retries: 3",
    );
    expect(onlyIssue(text)).toEqual({
      code: "SCHEMA",
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
      code: "SCHEMA",
      path: "model_list[0].llm_params.rewrite_header.X-B",
      pos: { line: 6, col: 23 },
      message: "a header value must be a string, or null to remove the header",
    });
  });

  test("rewrite_header of the wrong kind altogether", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      rewrite_header: [a]"),
    );
    expect(issue.code).toBe("SCHEMA");
    expect(issue.message).toBe("expected a string or a mapping, got a list");
  });

  test("invalid header name", () => {
    const issue = onlyIssue(
      MINIMAL.replace("model: gpt-4o", `model: gpt-4o\n      rewrite_header: {"X Foo": a}`),
    );
    expect(issue.code).toBe("INVALID_VALUE");
    expect(issue.path).toBe('model_list[0].llm_params.rewrite_header["X Foo"]');
    expect(issue.message).toBe('"X Foo" is not a valid header name');
  });

  test("max_total_body_size below max_body_size", () => {
    const issue = onlyIssue(
      `server_settings:\n  max_body_size: 2MiB\n  max_total_body_size: 1MiB\n` + MINIMAL,
    );
    expect(issue.code).toBe("INVALID_VALUE");
    expect(issue.path).toBe("server_settings.max_total_body_size");
    expect(issue.pos).toEqual({ line: 3, col: 24 });
    expect(issue.message).toBe(
      "max_total_body_size (1048576 bytes) must be at least max_body_size (2097152 bytes)",
    );
  });

  test.each(["12 parsecs", "-5", "0", "1.5"])("bad max_total_body_size %s", (size) => {
    const issue = onlyIssue(`server_settings:\n  max_total_body_size: ${size}\n` + MINIMAL);
    expect(issue.code).toBe("SCHEMA");
    expect(issue.path).toBe("server_settings.max_total_body_size");
    expect(issue.message).toMatch(/^max_total_body_size must be /);
  });

  test.each<[string, ConfigIssueCode]>([
    ["12 parsecs", "SCHEMA"],
    ["-5", "SCHEMA"],
    ["0", "SCHEMA"],
    ["MiB", "SCHEMA"],
    // Of the form of a size, but no bytes at all: the schema cannot tell.
    ["0KB", "INVALID_VALUE"],
    ["1.5", "SCHEMA"],
  ])("bad max_body_size %s", (size, code) => {
    const issue = onlyIssue(`server_settings:\n  max_body_size: ${size}\n` + MINIMAL);
    expect(issue.code).toBe(code);
    expect(issue.path).toBe("server_settings.max_body_size");
    expect(issue.pos).toEqual({ line: 2, col: 18 });
    expect(issue.message).toMatch(/^max_body_size must be /);
  });

  test("a value of the right type that cannot be used", () => {
    const proxy = onlyIssue(
      MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      proxy: http://h/p"),
    );
    expect(proxy).toMatchObject({ code: "INVALID_VALUE", path: "model_list[0].llm_params.proxy" });
    const base = onlyIssue(
      MINIMAL.replace("model: gpt-4o", "model: gpt-4o\n      api_base: http://[bad"),
    );
    expect(base).toMatchObject({
      code: "INVALID_VALUE",
      path: "model_list[0].llm_params.api_base",
    });
  });
});
